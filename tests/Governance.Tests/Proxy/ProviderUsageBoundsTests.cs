using System.Text;
using Governance.Domain.Usage;
using ProxyAdapter;

namespace Governance.Tests.Proxy;

/// <summary>
/// A provider's usage is what the ledger charges, so a nonsense count from it (far above anything billable) must not wrap
/// around into a small or negative figure when the gateway adds counts up: each count is capped at what the ledger accepts.
/// </summary>
public sealed class ProviderUsageBoundsTests
{
    private const string Huge = "9223372036854775807";

    [Fact]
    public void an_openai_usage_count_beyond_any_bill_is_capped_at_what_the_ledger_accepts()
    {
        var usage = Usage.Read(Encoding.UTF8.GetBytes($$$"""{"usage":{"prompt_tokens":{{{Huge}}},"completion_tokens":{{{Huge}}}}}"""));

        Assert.Equal(new TokenUsage(Pricing.MaxTokens, 0, Pricing.MaxTokens, 0), usage);
    }

    [Fact]
    public void anthropic_input_counts_beyond_any_bill_add_up_without_wrapping_around()
    {
        var json = $$$"""{"usage":{"input_tokens":{{{Huge}}},"cache_read_input_tokens":{{{Huge}}},"cache_creation_input_tokens":{{{Huge}}},"output_tokens":7}}""";

        var usage = AnthropicUsage.TryRead(Encoding.UTF8.GetBytes(json))!.Value;

        Assert.Equal(Pricing.MaxTokens, usage.Input);
        Assert.True(usage.Cached <= usage.Input);
        Assert.True(Pricing.Cost(usage, new Governance.Domain.Pricing.PriceVersion(1, 1m, 1m, null, DateTimeOffset.UnixEpoch, "t")) > 0m);
    }
}
