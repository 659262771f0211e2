using System.Net;
using System.Net.Sockets;
using Governance.Api.Alerts;
using Governance.Api.Catalog;
using Governance.Hosting.Outbound;

namespace Governance.Tests.Outbound;

/// <summary>Which URLs the gateway may call: provider base URLs and webhook receivers given by an admin.</summary>
public sealed class OutboundPolicyTests
{
    private static readonly OutboundPolicy Production = new(allowPrivateNetworks: false);
    private static readonly OutboundPolicy Local = new(allowPrivateNetworks: true);

    [Theory]
    [InlineData("http://169.254.169.254/latest")]
    [InlineData("http://169.254.1.1/")]
    [InlineData("http://2852039166/latest")]
    [InlineData("http://[::ffff:169.254.169.254]/latest")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/latest")]
    [InlineData("http://[fd00:ec2::254]/latest")]
    [InlineData("http://[fe80::1]/")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1")]
    [InlineData("http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1")]
    [InlineData("http://metadata/computeMetadata/v1")]
    [InlineData("http://100.100.100.200/latest/meta-data")]
    [InlineData("http://168.63.129.16/")]
    [InlineData("http://0.0.0.0:8080/")]
    [InlineData("http://[::]:8080/")]
    [InlineData("http://224.0.0.1/")]
    [InlineData("http://255.255.255.255/")]
    public async Task metadata_link_local_and_unroutable_addresses_are_refused_even_for_local_runs(string url)
    {
        Assert.StartsWith("is refused: ", await Local.UrlRefusalAsync(url, CancellationToken.None));
        Assert.Contains("never calls", await Production.UrlRefusalAsync(url, CancellationToken.None));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9099/v1")]
    [InlineData("http://localhost:8000/v1")]
    [InlineData("http://vllm.localhost/v1")]
    [InlineData("http://[::1]:8080/v1")]
    [InlineData("http://10.1.2.3/v1")]
    [InlineData("http://172.20.0.5/v1")]
    [InlineData("http://192.168.1.10/v1")]
    [InlineData("http://100.64.0.1/v1")]
    [InlineData("http://[fd12:3456::1]/v1")]
    [InlineData("http://[::ffff:10.0.0.1]/v1")]
    public async Task private_and_loopback_addresses_need_the_setting(string url)
    {
        Assert.Contains(OutboundPolicy.Setting + "=true", await Production.UrlRefusalAsync(url, CancellationToken.None));
        Assert.Null(await Local.UrlRefusalAsync(url, CancellationToken.None));
    }

    [Theory]
    [InlineData("https://api.openai.com/v1")]
    [InlineData("https://api.anthropic.com/v1")]
    [InlineData("http://8.8.8.8/v1")]
    [InlineData("http://[2606:4700:4700::1111]/v1")]
    public async Task public_addresses_are_allowed(string url)
    {
        Assert.Null(await Production.UrlRefusalAsync(url, CancellationToken.None));
    }

    [Theory]
    [InlineData("ftp://files.example/v1")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://127.0.0.1:6379/_")]
    [InlineData("/v1/relative")]
    [InlineData("")]
    [InlineData(null)]
    public async Task only_absolute_http_and_https_urls_are_accepted(string? url)
    {
        Assert.Equal("must be an absolute http(s) URL", await Local.UrlRefusalAsync(url, CancellationToken.None));
    }

    [Fact]
    public async Task a_provider_or_webhook_on_a_private_network_is_refused_at_registration_without_the_setting()
    {
        var provider = await new RegisterProvider.Validator(Production)
            .ValidateAsync(new RegisterProvider("vllm", "openai-compatible", "http://10.0.0.5:8000/v1", "token"));
        var webhook = await new ConfigureWebhook.Validator(Production).ValidateAsync(new ConfigureWebhook("http://127.0.0.1:9000/hooks", new string('s', 32)));

        Assert.Equal("BaseUrl", Assert.Single(provider.Errors).PropertyName);
        Assert.Contains(OutboundPolicy.Setting, provider.Errors[0].ErrorMessage);
        Assert.Equal("Url", Assert.Single(webhook.Errors).PropertyName);
        Assert.True((await new RegisterProvider.Validator(Local).ValidateAsync(new RegisterProvider("vllm", "openai-compatible", "http://10.0.0.5:8000/v1", "token"))).IsValid);
    }

    [Fact]
    public async Task every_connection_is_checked_on_the_address_connected_to()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        using var guarded = new HttpClient(Production.Guard(new SocketsHttpHandler()));
        foreach (var url in new[] { $"http://127.0.0.1:{port}/", $"http://localhost:{port}/", $"http://[::ffff:127.0.0.1]:{port}/" })
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => guarded.GetAsync(url));
            Assert.IsType<OutboundAddressRefusedException>(error.InnerException);
        }
        Assert.False(listener.Pending());

        // With the setting, the same address is reached.
        using var local = new HttpClient(Local.Guard(new SocketsHttpHandler()));
        using var cancel = new CancellationTokenSource();
        var call = local.GetAsync($"http://127.0.0.1:{port}/", cancel.Token);
        using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }
}
