using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Governance.Domain.Catalog;
using Governance.Domain.Pricing;
using Governance.Domain.Usage;
using Governance.Hosting;
using ProxyAdapter;
using ProxyAdapter.Surfaces;

namespace Governance.Tests.Proxy;

/// <summary>
/// For random and adversarial request bodies, through each surface's real parsing (<see cref="Surface.Prepare"/>) and
/// hold sizing (<see cref="Surface.Bound"/>): whatever is admitted is held at no less than 0 and no less than the cost of
/// any usage the provider may report within the request's own limits, on every model the call may reach. That usage is
/// input tokens up to the body's bytes plus, per image, file or audio part, up to the part's catalog bound (all of it
/// within the model's input window when the catalog names one), and output tokens up to the output cap times the choices.
/// </summary>
public sealed class HoldPropertyTests
{
    private const long Iterations = 5_000;
    private static readonly LedgerOptions Ledger = new(TimeSpan.FromMinutes(10), 8_192, 4_096);

    // ---- Where a number belongs: ordinary counts, any long, and what hostile callers send instead ----

    private static Gen<string?> Number(long typical) => Gen.Frequency(
        (12, Gen.Long[1, typical].Select(n => (string?)n.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Long.Select(n => (string?)n.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.OneOf<string?>("9223372036854775807", "9223372034854775807", "4611686018427387904", "1000000000000", "1000000000001")),
        (2, Gen.OneOf<string?>(null, "null", "0", "-1", "-3", "128", "129", "-9223372036854775808", "99999999999999999999999",
            "1e300", "1E3", "1.5", "2.0", "\"lots\"", "\"2\"", "true", "[]", "{}")));

    /// <summary>A token count, a choice count: what each usually is, and everything else.</summary>
    private static readonly Gen<string?> Tokens = Number(20_000), Choices = Number(HoldSizing.MaxChoices);

    private static readonly Gen<string> Text = Gen.Char.Array[0, 24].Select(chars => JsonSerializer.Serialize(new string(chars)));

    private static readonly Gen<string> OpenAiPart = Gen.Frequency(
        (4, Text.Select(t => $$"""{"type":"text","text":{{t}}}""")),
        (3, Gen.OneOf(
            """{"type":"image_url","image_url":{"url":"https://example.com/cat.png","detail":"high"}}""",
            """{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}""",
            """{"type":"file","file":{"file_id":"file-abc"}}""")),
        (1, Gen.OneOf("""{"type":"refusal","refusal":"no"}""", """{"type":"video_url","video_url":{}}""", "5", "{}", """{"type":7}""")));

    private static readonly Gen<string> AnthropicBlock = Gen.Frequency(
        (4, Text.Select(t => $$"""{"type":"text","text":{{t}}}""")),
        (3, Gen.OneOf(
            """{"type":"image","source":{"type":"url","url":"https://example.com/cat.png"}}""",
            """{"type":"document","source":{"type":"file","file_id":"file_1"}}""",
            """{"type":"tool_result","tool_use_id":"t1","content":[{"type":"image","source":{"type":"url","url":"https://x"}}]}""",
            """{"type":"redacted_thinking","data":"Zm9v"}""")),
        (1, Gen.OneOf("""{"type":"container_upload","file_id":"f"}""", "5", "{}", """{"type":null}""")));

    private static Gen<string> Messages(Gen<string> part) => Gen.Frequency(
        (9, Gen.Frequency((3, Text), (6, part.Array[0, 4].Select(ps => "[" + string.Join(",", ps) + "]")), (1, Gen.OneOf("null", "5", "{}")))
            .Array[1, 4].Select(contents => "[" + string.Join(",", contents.Select(c => $$"""{"role":"user","content":{{c}}}""")) + "]")),
        (1, Gen.OneOf("\"x\"", "[]", "[1]", "null", "{}")));

    private static readonly Gen<string?> Stream = Gen.Frequency((6, Gen.OneOf<string?>(null, "true", "false")), (1, Gen.OneOf<string?>("\"yes\"", "1")));

    private static readonly Gen<string> ChatBody = Gen.Select(Messages(OpenAiPart), Choices, Tokens, Tokens, Stream,
        (messages, n, maxTokens, maxCompletion, stream) => Json(("messages", messages), ("n", n), ("max_tokens", maxTokens),
            ("max_completion_tokens", maxCompletion), ("stream", stream)));

    private static readonly Gen<string> AnthropicBody = Gen.Select(Messages(AnthropicBlock), Tokens, Tokens, Stream,
        (messages, maxTokens, budget, stream) => Json(("messages", messages), ("max_tokens", maxTokens),
            ("thinking", budget is null ? null : $$"""{"type":"enabled","budget_tokens":{{budget}}}"""), ("stream", stream)));

    private static readonly Gen<string> EmbeddingsBody = Gen.Select(
        Gen.Frequency(
            (3, Text),
            (2, Text.Array[0, 5].Select(ts => "[" + string.Join(",", ts) + "]")),
            (2, Tokens.Array[0, 5].Select(ns => "[" + string.Join(",", ns.Select(n => n ?? "null")) + "]")),
            (1, Gen.OneOf("[[1,2],[3]]", "[[]]", "[[1.5]]", "true", "null"))),
        Tokens,
        (input, dimensions) => Json(("input", input), ("dimensions", dimensions)));

    // ---- The catalog: limits named or not, prices anywhere in the validated domain ----

    private static readonly Gen<decimal> Price = Gen.Frequency(
        (1, Gen.Const(0m)),
        (4, Gen.Long[1, 100_000_000].Select(m => m / 1_000_000m)),
        (1, Gen.Long[1, 9_999_999_999_999].Select(m => m / 10_000_000m)));

    private static Gen<T?> Maybe<T>(Gen<T> gen) where T : struct =>
        Gen.Frequency((1, Gen.Const((T?)null)), (3, gen.Select(v => (T?)v)));

    private static readonly Gen<CandidateModel> Model = Gen.Select(
        Maybe(Gen.Long[1, ModelLimits.MaxTokensLimit]), Maybe(Gen.Long[1, 200_000]), Maybe(Gen.Long[1, 10_000_000].Select(m => m / 1_000_000m)),
        Price, Price, Maybe(Price),
        (maxInput, maxOutput, perPart, input, output, cached) =>
        {
            var definition = new ModelDefinition("m", "p", "u", [], null) { Limits = new ModelLimits(maxInput, maxOutput, perPart) };
            return new CandidateModel(definition, new PriceVersion(1, input, output, cached, DateTimeOffset.UnixEpoch, "test"), []);
        });

    /// <summary>Where in its range each usage count falls: the top now and then, else anywhere.</summary>
    private static readonly Gen<double> Share = Gen.Frequency((2, Gen.Const(1.0)), (1, Gen.Const(0.0)), (3, Gen.Double[0, 1]));

    [Fact]
    public void every_admitted_chat_completion_is_held_at_no_less_than_it_can_cost() =>
        Check(ChatCompletionsSurface.Instance, ChatBody);

    [Fact]
    public void every_admitted_anthropic_message_is_held_at_no_less_than_it_can_cost() =>
        Check(AnthropicMessagesSurface.Instance, AnthropicBody);

    [Fact]
    public void every_admitted_embeddings_request_is_held_at_no_less_than_it_can_cost() =>
        Check(EmbeddingsSurface.Instance, EmbeddingsBody);

    private static void Check(Surface surface, Gen<string> bodies) =>
        Gen.Select(bodies, Model, Model.Array[0, 2], Share.Array[8]).Sample((json, requested, fallbacks, shares) =>
        {
            var raw = Encoding.UTF8.GetBytes(json);
            var body = JsonNode.Parse(raw)!.AsObject();
            if (surface.Prepare(body, Ledger, out var shape) is not null)
                return;
            CandidateModel[] reachable = [requested, .. fallbacks];
            var asked = shape.Use.MaxOutputTokens;
            if (surface.Bound(body, raw.Length, [requested], reachable, Ledger, ref shape) is not null)
                return;

            Assert.True(shape.WorstCase >= 0m, $"negative hold {shape.WorstCase}");
            if (!shape.Use.Generates)
                Assert.Equal(0, shape.MaxOutput);
            else if (asked is { } limit)
                Assert.Equal(limit, shape.MaxOutputTokens);
            else
            {
                // No limit from the client: the provider is told the cap the hold assumed (OpenAI), or the body had one (Anthropic).
                Assert.Equal(requested.Definition.Limits.MaxOutputTokens ?? Ledger.DefaultMaxOutputTokens, shape.MaxOutputTokens);
                Assert.Equal(shape.MaxOutputTokens, body["max_completion_tokens"]!.GetValue<long>());
            }
            foreach (var model in reachable)
            {
                var cost = Pricing.Cost(MostExpensiveUsage(raw.Length, shape, model, shares), model.Price);
                Assert.True(cost <= shape.WorstCase, $"usage costing {cost} on a model {model.Definition.Limits} was held at {shape.WorstCase}: {json}");
            }
        }, iter: Iterations, seed: null);

    /// <summary>A usage the provider may report within the request's limits on <paramref name="model"/>.</summary>
    private static TokenUsage MostExpensiveUsage(long bytes, CallShape shape, CandidateModel model, double[] shares)
    {
        var limits = model.Definition.Limits;
        var inputPrice = Math.Max(model.Price.InputPer1M, model.Price.CachedPer1M);
        // The most tokens one part can be without costing more than the catalog's bound for a part.
        var partTokens = HoldSizing.CostPerPart(limits, model.Price) is { } perPart && inputPrice > 0
            ? (long)Math.Min(decimal.Floor(perPart * 1_000_000m / inputPrice), Pricing.MaxTokens)
            : limits.MaxInputTokens ?? 0;
        var input = Part(bytes, shares[0]) + Enumerable.Range(0, shape.Use.Parts).Sum(i => Part(partTokens, shares[1 + i % 4]));
        if (limits.MaxInputTokens is { } window)
            input = Math.Min(input, window);
        var cached = Part(input, shares[5]);
        var output = Part(shape.MaxOutput, shares[6]);
        return new TokenUsage(input, cached, output, Part(output, shares[7]));
    }

    private static long Part(long of, double share) => (long)Math.Floor(of * share);

    /// <summary>A request body with a model and the fields given (a null value leaves the field out).</summary>
    private static string Json(params (string Name, string? Value)[] fields) =>
        "{\"model\":\"m\"" + string.Concat(fields.Where(f => f.Value is not null).Select(f => $",\"{f.Name}\":{f.Value}")) + "}";
}
