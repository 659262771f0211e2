using Governance.Domain.Catalog;

namespace Governance.Tests.Domain;

/// <summary>What each API reaches decides both the routes a call may take and the fallbacks an operator may set.</summary>
public sealed class GatewayApisTests
{
    [Theory]
    [InlineData(GatewayApi.ChatCompletions, "anthropic", true)]
    [InlineData(GatewayApi.ChatCompletions, "openai-compatible", true)]
    [InlineData(GatewayApi.Messages, "openai", true)]
    [InlineData(GatewayApi.Messages, "openai-compatible", true)]
    [InlineData(GatewayApi.Embeddings, "anthropic", false)]
    [InlineData(GatewayApi.ChatCompletions, "gemini", true)]
    [InlineData(GatewayApi.ChatCompletions, "bedrock", true)]
    [InlineData(GatewayApi.Messages, "azure-openai", true)]
    [InlineData(GatewayApi.Messages, "bedrock", true)]
    [InlineData(GatewayApi.Embeddings, "azure-openai", true)]
    [InlineData(GatewayApi.Embeddings, "gemini", false)]
    [InlineData(GatewayApi.Embeddings, "bedrock", false)]
    [InlineData(GatewayApi.Messages, "a-kind-nothing-speaks", false)]
    public void each_api_reaches_the_kinds_wired_for_it(GatewayApi api, string kind, bool reached)
    {
        Assert.Equal(reached, GatewayApis.Reaches(api, kind));
    }

    [Fact]
    public void a_gpt_model_and_a_claude_model_share_chat_completions_and_messages()
    {
        Assert.Equal([GatewayApi.ChatCompletions, GatewayApi.Messages], GatewayApis.Sharing(["openai"], ["anthropic"]));
        Assert.Equal([GatewayApi.ChatCompletions, GatewayApi.Messages], GatewayApis.Sharing(["anthropic"], ["openai-compatible"]));
    }

    [Fact]
    public void a_fallback_no_api_of_its_model_reaches_shares_nothing()
    {
        Assert.Empty(GatewayApis.Sharing(["openai"], ["a-kind-nothing-speaks"]));
        Assert.Empty(GatewayApis.Sharing(["a-kind-nothing-speaks"], ["anthropic"]));
    }
}
