using System.Text.Json;
using Governance.Domain.Access;
using Microsoft.AspNetCore.Http;
using ProxyAdapter;

namespace Governance.Tests.Proxy;

/// <summary>Both error shapes answer a refusal with its <see cref="DenialReason"/>: the same status, code and message.</summary>
public sealed class DenialShapeTests
{
    public static TheoryData<string> Codes() => new(DenialReason.All.Select(r => r.Code));

    private static async Task<(int Status, JsonElement Body)> Execute(IResult result)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Response.Body = new MemoryStream();
        await result.ExecuteAsync(http);
        http.Response.Body.Position = 0;
        return (http.Response.StatusCode, await JsonSerializer.DeserializeAsync<JsonElement>(http.Response.Body));
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public async Task openai_and_anthropic_callers_get_the_reasons_status_code_and_message(string code)
    {
        var reason = DenialReason.Of(code);

        var (openAiStatus, openAi) = await Execute(OpenAiErrors.Instance.Denied(reason));
        var (anthropicStatus, anthropic) = await Execute(AnthropicErrors.Instance.Denied(reason));

        Assert.Equal(reason.HttpStatus, openAiStatus);
        Assert.Equal(reason.HttpStatus, anthropicStatus);
        Assert.Equal(code, openAi.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(code, anthropic.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(reason.Message, openAi.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(reason.Message, anthropic.GetProperty("error").GetProperty("message").GetString());
    }
}
