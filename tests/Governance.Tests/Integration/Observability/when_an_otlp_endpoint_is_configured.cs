using Governance.Hosting;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Governance.Tests.Integration.Observability;

public sealed class when_an_otlp_endpoint_is_configured
{
    private static ServiceProvider Services(string? endpoint)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
        }).Build();
        return new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration)
            .AddGovernanceTelemetry(configuration, "test", "Test.Meter").BuildServiceProvider();
    }

    [Fact]
    public async Task traces_are_collected_only_with_an_endpoint_and_metrics_always()
    {
        await using var without = Services(null);
        Assert.Null(without.GetService<TracerProvider>());
        Assert.NotNull(without.GetService<MeterProvider>());

        await using var with = Services("http://127.0.0.1:4317");
        Assert.NotNull(with.GetService<TracerProvider>());
        Assert.NotNull(with.GetService<MeterProvider>());
    }
}
