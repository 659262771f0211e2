using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Translation;

namespace Governance.Tests.Translation;

/// <summary>Drives the translation layer as the gateway's relay will: bodies in, bytes fed in arbitrary pieces, SSE out.</summary>
internal static class Harness
{
    public static readonly AnswerStamp Stamp = new("req1", "client-model", 1_700_000_000);

    public static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    public static UpstreamCall Translate(ClientApi api, string body, ModelTarget target)
    {
        var refusal = Translator.Request(api, Json(body), target, out var call);
        Assert.Null(refusal);
        return call;
    }

    public static InvalidParam Refuse(ClientApi api, string body, ModelTarget target)
    {
        var refusal = Translator.Request(api, Json(body), target, out _);
        Assert.NotNull(refusal);
        return refusal;
    }

    /// <summary>Asserts two JSON texts are equal as JSON (property order and spacing aside).</summary>
    public static void SameJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual?.ToJsonString()}");

    public static JsonObject Answer(UpstreamCall call, string providerBody)
    {
        var answer = Translator.Response(call, Encoding.UTF8.GetBytes(providerBody), Stamp);
        Assert.NotNull(answer);
        return JsonNode.Parse(answer.Body)!.AsObject();
    }

    /// <summary>The client's stream for the provider's <paramref name="stream"/>, fed in pieces cut at <paramref name="cuts"/>.</summary>
    public static string Relay(IStreamTranslator translator, byte[] stream, IEnumerable<int>? cuts = null)
    {
        var output = new ArrayBufferWriter<byte>();
        var buffer = new List<byte>();
        var at = 0;
        foreach (var cut in (cuts ?? []).Where(c => c > 0 && c < stream.Length).Order().Append(stream.Length))
        {
            buffer.AddRange(stream.AsSpan(at, cut - at).ToArray());
            at = cut;
            int length;
            while (buffer.Count > 0 && (length = translator.UnitLength(buffer.ToArray())) > 0)
            {
                translator.Feed(buffer.GetRange(0, length).ToArray(), output);
                buffer.RemoveRange(0, length);
            }
        }
        translator.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    public static string Relay(UpstreamCall call, string stream) => Relay(Translator.Stream(call, Stamp), Encoding.UTF8.GetBytes(stream));

    /// <summary>The data of each SSE event (with its name, when named); <c>[DONE]</c> kept as text.</summary>
    public static List<(string? Event, JsonNode? Data, string Raw)> Events(string sse)
    {
        var events = new List<(string?, JsonNode?, string)>();
        foreach (var block in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            string? data = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                    name = line[7..];
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                    data = line[6..];
            }
            events.Add((name, data is null or "[DONE]" ? null : JsonNode.Parse(data), data ?? ""));
        }
        return events;
    }

    /// <summary>SSE text of events whose data are <paramref name="data"/> (named when the item has an "event" name).</summary>
    public static string Sse(params (string? Event, string Data)[] events) =>
        string.Concat(events.Select(e => (e.Event is null ? "" : $"event: {e.Event}\n") + $"data: {e.Data}\n\n"));

    public static string Text(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) ?? "null";
}
