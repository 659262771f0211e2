using System.Globalization;
using Governance.Domain.Catalog;
using Governance.Domain.Pricing;
using Governance.Domain.Usage;

namespace Governance.Tests.Domain;

public sealed class LiteLlmPriceFileTests
{
    private static ImportedPrice Single(string entryJson) =>
        Assert.Single(LiteLlmPriceFile.Parse($$"""{ "m": {{entryJson}} }""").Prices);

    private static SkippedEntry Skipped(string entryJson)
    {
        var result = LiteLlmPriceFile.Parse($$"""{ "m": {{entryJson}} }""");
        Assert.Empty(result.Prices);
        return Assert.Single(result.Skipped);
    }

    [Fact]
    public void per_token_prices_become_exact_per_million_prices()
    {
        var price = Single("""{ "input_cost_per_token": 1.5e-07, "output_cost_per_token": 2.5e-06 }""");

        Assert.Equal(0.15m, price.InputPer1M);
        Assert.Equal(2.5m, price.OutputPer1M);
    }

    [Theory]
    [InlineData("1.5e-07", "0.15")]
    [InlineData("2.5e-06", "2.5")]
    [InlineData("0.0000025", "2.5")]
    [InlineData("0.5e-06", "0.5")]
    [InlineData("1.2e-04", "120")]
    [InlineData("25e-03", "25000")]
    [InlineData("1.875e-08", "0.01875")]
    [InlineData("0", "0")]
    [InlineData("0.0", "0")]
    public void prices_are_written_without_trailing_zeros(string perToken, string per1M)
    {
        var price = Single($$"""{ "input_cost_per_token": {{perToken}}, "output_cost_per_token": 0 }""");

        Assert.Equal(per1M, price.InputPer1M.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void the_cache_read_price_becomes_the_cached_input_price()
    {
        var price = Single("""{ "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-06 }""");

        Assert.Equal(1.25m, price.CachedInputPer1M);
    }

    [Fact]
    public void a_model_without_a_cache_price_has_no_cached_price()
    {
        Assert.Null(Single("""{ "input_cost_per_token": 2e-08, "output_cost_per_token": 0.0 }""").CachedInputPer1M);
    }

    [Fact]
    public void a_deepseek_style_cache_hit_price_is_used_when_there_is_no_cache_read_price()
    {
        var price = Single("""{ "input_cost_per_token": 5.5e-07, "input_cost_per_token_cache_hit": 1.4e-07, "output_cost_per_token": 2.19e-06 }""");

        Assert.Equal(0.14m, price.CachedInputPer1M);
    }

    [Fact]
    public void an_entry_without_an_output_price_is_skipped_with_the_reason()
    {
        var skipped = Skipped("""{ "input_cost_per_video_per_second": 0.00049, "input_cost_per_token": 1e-06, "litellm_provider": "bedrock" }""");

        Assert.Equal("m", skipped.Model);
        Assert.Contains("output_cost_per_token", skipped.Reason);
    }

    [Fact]
    public void an_image_model_priced_per_image_is_skipped_with_the_reason()
    {
        Assert.Contains("input_cost_per_token", Skipped("""{ "mode": "image_generation", "output_cost_per_image": 0.04 }""").Reason);
    }

    [Fact]
    public void the_schema_example_at_the_top_of_the_file_is_skipped()
    {
        var result = LiteLlmPriceFile.Parse("""
            { "sample_spec": { "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "one of https://docs.litellm.ai/docs/providers" } }
            """);

        Assert.Empty(result.Prices);
        Assert.Equal("sample_spec", Assert.Single(result.Skipped).Model);
    }

    [Fact]
    public void a_negative_price_is_skipped()
    {
        Assert.Contains("negative", Skipped("""{ "input_cost_per_token": -1e-06, "output_cost_per_token": 2e-06 }""").Reason);
    }

    [Fact]
    public void a_price_that_is_not_a_number_is_skipped()
    {
        Assert.Contains("not a number", Skipped("""{ "input_cost_per_token": "0.000001", "output_cost_per_token": 2e-06 }""").Reason);
    }

    [Fact]
    public void a_price_needing_more_than_ten_decimals_per_million_is_skipped_not_rounded()
    {
        // 0.12345678901 per 1M: one decimal too many to price exactly.
        Assert.Contains("decimal places", Skipped("""{ "input_cost_per_token": 1.2345678901e-07, "output_cost_per_token": 0 }""").Reason);
        // Far below decimal's precision: must not silently become a free model.
        Assert.Contains("decimal places", Skipped("""{ "input_cost_per_token": 1e-40, "output_cost_per_token": 0 }""").Reason);
        Assert.Contains("decimal places", Skipped("""{ "input_cost_per_token": 1e-99999999999999999999, "output_cost_per_token": 0 }""").Reason);
    }

    [Fact]
    public void ten_decimals_per_million_are_kept_exactly()
    {
        Assert.Equal(0.1234567891m, Single("""{ "input_cost_per_token": 1.234567891e-07, "output_cost_per_token": 0 }""").InputPer1M);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("1e300")]
    [InlineData("1e99999999999999999999")]
    public void an_absurd_price_is_skipped(string perToken)
    {
        Assert.Contains("plausible", Skipped($$"""{ "input_cost_per_token": 1e-06, "output_cost_per_token": {{perToken}} }""").Reason);
    }

    [Fact]
    public void a_bad_cache_price_skips_the_entry_instead_of_dropping_the_discount()
    {
        Assert.Contains("cache_read_input_token_cost", Skipped("""{ "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "cache_read_input_token_cost": -1e-07 }""").Reason);
    }

    [Fact]
    public void only_the_requested_models_are_imported_and_missing_ones_are_reported()
    {
        const string json = """
            {
              "gpt-4o": { "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05 },
              "gpt-4o-mini": { "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07 },
              "broken": { "input_cost_per_token": 1e-06 }
            }
            """;

        var result = LiteLlmPriceFile.Parse(json, ["gpt-4o-mini", "gpt-9"]);

        Assert.Equal("gpt-4o-mini", Assert.Single(result.Prices).Model);
        Assert.Equal(new SkippedEntry("gpt-9", "not in the price file"), Assert.Single(result.Skipped));
    }

    [Fact]
    public void without_a_filter_every_entry_is_either_imported_or_skipped()
    {
        var result = LiteLlmPriceFile.Parse("""
            { "a": { "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06 }, "b": { "input_cost_per_token": 1e-06 } }
            """);

        Assert.Equal(["a"], result.Prices.Select(p => p.Model));
        Assert.Equal(["b"], result.Skipped.Select(s => s.Model));
    }

    [Fact]
    public void a_model_listed_twice_is_imported_once_from_its_first_entry()
    {
        var result = LiteLlmPriceFile.Parse("""
            { "a": { "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06 }, "a": { "input_cost_per_token": 9e-06, "output_cost_per_token": 9e-06 } }
            """);

        Assert.Equal(1m, Assert.Single(result.Prices).InputPer1M);
        Assert.Equal("a", Assert.Single(result.Skipped).Model);
    }

    [Theory]
    [InlineData("{ \"gpt-4o\": ")]
    [InlineData("")]
    [InlineData("[ { \"gpt-4o\": {} } ]")]
    [InlineData("42")]
    public void a_file_that_is_not_a_json_object_is_refused(string json)
    {
        var error = Assert.Throws<FormatException>(() => LiteLlmPriceFile.Parse(json));

        Assert.Contains("price file", error.Message);
    }

    [Fact]
    public void real_litellm_entries_import_at_their_published_prices()
    {
        var result = LiteLlmPriceFile.Parse(LiteLlmSample.Json);

        Assert.Equal(
            [
                new ImportedPrice("claude-3-5-haiku-20241022", 0.8m, 4m, 0.08m, "anthropic") { Limits = new(200_000, 8_192) },
                new ImportedPrice("deepseek/deepseek-reasoner", 0.55m, 2.19m, 0.14m, "deepseek") { Limits = new(65_536, 8_192) },
                new ImportedPrice("gemini-2.5-pro", 1.25m, 10m, 0.125m, "vertex_ai-language-models") { Limits = new(1_048_576, 65_535) },
                new ImportedPrice("gpt-4o-mini", 0.15m, 0.6m, 0.075m, "openai") { Limits = new(128_000, 16_384) },
                new ImportedPrice("o3", 2m, 8m, 0.5m, "openai") { Limits = new(200_000, 100_000) },
                // An embeddings entry names its input window only (max_tokens, LiteLLM's legacy field, is not read).
                new ImportedPrice("text-embedding-3-small", 0.02m, 0m, null, "openai") { Limits = new(8_191) },
            ],
            result.Prices);
        Assert.Equal(["sample_spec", "1024-x-1024/dall-e-2"], result.Skipped.Select(s => s.Model));
    }

    [Theory]
    [InlineData("\"128000\"")]
    [InlineData("128000.5")]
    [InlineData("1e300")]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("100000001")]
    [InlineData("true")]
    public void a_limit_that_is_not_a_token_count_is_left_out_and_the_price_still_imported(string limit)
    {
        var json = $$$"""{"m":{"input_cost_per_token":1e-06,"output_cost_per_token":2e-06,"max_input_tokens":{{{limit}}},"max_output_tokens":{{{limit}}}}}""";

        var price = Assert.Single(LiteLlmPriceFile.Parse(json).Prices);

        Assert.Equal(1m, price.InputPer1M);
        Assert.Equal(ModelLimits.None, price.Limits);
    }

    [Fact]
    public void every_imported_price_can_price_the_largest_request_allowed()
    {
        var at = new DateTimeOffset(2025, 10, 15, 0, 0, 0, TimeSpan.Zero);
        foreach (var p in LiteLlmPriceFile.Parse(LiteLlmSample.Json).Prices)
        {
            var version = new PriceVersion(1, p.InputPer1M, p.OutputPer1M, p.CachedInputPer1M, at, "litellm");
            var cost = Pricing.Cost(new TokenUsage(Pricing.MaxTokens, Pricing.MaxTokens / 2, Pricing.MaxTokens, 0), version);

            Assert.True(cost >= 0);
        }
    }
}

/// <summary>Entries copied from BerriAI/litellm's model_prices_and_context_window.json (commit 19a1f629), trimmed of unrelated fields.</summary>
internal static class LiteLlmSample
{
    public const string Json = """
        {
            "sample_spec": {
                "input_cost_per_token": 0.0,
                "litellm_provider": "one of https://docs.litellm.ai/docs/providers",
                "max_input_tokens": "max input tokens, if the provider specifies it. if not default to max_tokens",
                "mode": "one of: chat, embedding, completion, image_generation, audio_transcription, audio_speech, image_generation, moderation, rerank, search",
                "output_cost_per_token": 0.0
            },
            "1024-x-1024/dall-e-2": {
                "input_cost_per_pixel": 1.9e-08,
                "litellm_provider": "openai",
                "mode": "image_generation",
                "output_cost_per_pixel": 0.0
            },
            "claude-3-5-haiku-20241022": {
                "cache_creation_input_token_cost": 1e-06,
                "cache_creation_input_token_cost_above_1hr": 6e-06,
                "cache_read_input_token_cost": 8e-08,
                "deprecation_date": "2025-10-01",
                "input_cost_per_token": 8e-07,
                "litellm_provider": "anthropic",
                "max_input_tokens": 200000,
                "max_output_tokens": 8192,
                "max_tokens": 8192,
                "mode": "chat",
                "output_cost_per_token": 4e-06,
                "search_context_cost_per_query": {
                    "search_context_size_high": 0.01,
                    "search_context_size_low": 0.01,
                    "search_context_size_medium": 0.01
                },
                "supports_prompt_caching": true,
                "tool_use_system_prompt_tokens": 264
            },
            "deepseek/deepseek-reasoner": {
                "input_cost_per_token": 5.5e-07,
                "input_cost_per_token_cache_hit": 1.4e-07,
                "litellm_provider": "deepseek",
                "max_input_tokens": 65536,
                "max_output_tokens": 8192,
                "max_tokens": 8192,
                "mode": "chat",
                "output_cost_per_token": 2.19e-06,
                "supports_reasoning": true
            },
            "gemini-2.5-pro": {
                "cache_read_input_token_cost": 1.25e-07,
                "cache_creation_input_token_cost_above_200k_tokens": 2.5e-07,
                "input_cost_per_token": 1.25e-06,
                "input_cost_per_token_above_200k_tokens": 2.5e-06,
                "litellm_provider": "vertex_ai-language-models",
                "max_input_tokens": 1048576,
                "max_output_tokens": 65535,
                "mode": "chat",
                "output_cost_per_token": 1e-05,
                "output_cost_per_token_above_200k_tokens": 1.5e-05,
                "source": "https://cloud.google.com/vertex-ai/generative-ai/pricing",
                "supported_modalities": ["text", "image", "audio", "video"]
            },
            "gpt-4o-mini": {
                "cache_read_input_token_cost": 7.5e-08,
                "cache_read_input_token_cost_priority": 1.25e-07,
                "input_cost_per_token": 1.5e-07,
                "input_cost_per_token_batches": 7.5e-08,
                "input_cost_per_token_priority": 2.5e-07,
                "litellm_provider": "openai",
                "max_input_tokens": 128000,
                "max_output_tokens": 16384,
                "max_tokens": 16384,
                "mode": "chat",
                "output_cost_per_token": 6e-07,
                "output_cost_per_token_batches": 3e-07,
                "output_cost_per_token_priority": 1e-06,
                "supports_prompt_caching": true
            },
            "o3": {
                "cache_read_input_token_cost": 5e-07,
                "cache_read_input_token_cost_flex": 2.5e-07,
                "cache_read_input_token_cost_priority": 8.75e-07,
                "input_cost_per_token": 2e-06,
                "input_cost_per_token_flex": 1e-06,
                "input_cost_per_token_priority": 3.5e-06,
                "litellm_provider": "openai",
                "max_input_tokens": 200000,
                "max_output_tokens": 100000,
                "mode": "chat",
                "output_cost_per_token": 8e-06,
                "output_cost_per_token_flex": 4e-06,
                "output_cost_per_token_priority": 1.4e-05,
                "supports_reasoning": true
            },
            "text-embedding-3-small": {
                "input_cost_per_token": 2e-08,
                "input_cost_per_token_batches": 1e-08,
                "litellm_provider": "openai",
                "max_input_tokens": 8191,
                "max_tokens": 8191,
                "mode": "embedding",
                "output_cost_per_token": 0.0,
                "output_cost_per_token_batches": 0.0,
                "output_vector_size": 1536
            }
        }
        """;
}
