using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// OpenAI's Responses API (<c>POST /v1/responses</c>) as its API reference documents it: a <c>response</c> object with
/// <c>output</c> items and <c>usage</c> (<c>input_tokens_details.cached_tokens</c>, <c>output_tokens_details.reasoning_tokens</c>),
/// or, streamed, named events each with its <c>sequence_number</c>, from <c>response.created</c> to <c>response.completed</c>
/// (which carries the usage). With function <c>tools</c> and no tool output in the input yet, it calls the first tool with
/// <see cref="ToolArguments"/>; given a <c>function_call_output</c>, it answers "Tool said: {output}".
/// </summary>
public sealed partial class FakeProvider
{
    public const string ToolArguments = "{\"city\":\"Paris\"}";
    public const string ResponseId = "resp_fake", ToolCallId = "call_fake";

    private async Task Responses(HttpContext http)
    {
        var (model, body) = await ReceiveAsync(http);
        if (await EarlyEndAsync(http, model))
            return;
        if (Malformed(body) is { } param)
        {
            await Results.Json(new { error = new { message = $"Invalid type for '{param}'.", type = "invalid_request_error", param, code = "invalid_type" } },
                statusCode: 400).ExecuteAsync(http);
            return;
        }
        var prompt = InputTokens(body);
        var usage = !model.StartsWith("no-usage");
        var input = body["input"] as JsonArray ?? [];
        var toolOutput = input.OfType<JsonObject>().LastOrDefault(i => (string?)i["type"] == "function_call_output")?["output"]?.GetValue<string>();
        var tool = toolOutput is null ? (body["tools"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault()?["name"]?.GetValue<string>() : null;
        var text = toolOutput is null ? AnswerText : "Tool said: " + toolOutput;
        if (!(body["stream"] is JsonValue s && s.GetValue<bool>()))
        {
            JsonObject item = tool is null ? Message(text, "completed") : Call(tool, ToolArguments, "completed");
            await Results.Text(Response(model, body, "completed", [item], usage ? ResponseUsage(prompt, CompletionTokens) : null).ToJsonString(),
                "application/json").ExecuteAsync(http);
            return;
        }

        var n = 0;
        string Event(JsonObject data)
        {
            var type = (string)data["type"]!;
            var evt = new JsonObject { ["type"] = type, ["sequence_number"] = n++ };
            foreach (var (name, value) in data.Where(p => p.Key != "type").ToList())
            {
                data.Remove(name);
                evt[name] = value;
            }
            return $"event: {type}\ndata: {evt.ToJsonString()}\n\n";
        }
        var events = new List<string>
        {
            Event(new() { ["type"] = "response.created", ["response"] = Response(model, body, "in_progress", [], null) }),
            Event(new() { ["type"] = "response.in_progress", ["response"] = Response(model, body, "in_progress", [], null) }),
        };
        JsonObject done;
        if (tool is null)
        {
            events.Add(Event(new() { ["type"] = "response.output_item.added", ["output_index"] = 0, ["item"] = Message(null, "in_progress") }));
            events.Add(Event(new() { ["type"] = "response.content_part.added", ["item_id"] = "msg_fake", ["output_index"] = 0, ["content_index"] = 0, ["part"] = TextPart("") }));
            foreach (var delta in StreamedText)
                events.Add(Event(new()
                {
                    ["type"] = "response.output_text.delta", ["item_id"] = "msg_fake", ["output_index"] = 0, ["content_index"] = 0, ["delta"] = delta,
                    ["logprobs"] = new JsonArray(),
                }));
            var streamed = string.Concat(StreamedText);
            events.Add(Event(new()
            {
                ["type"] = "response.output_text.done", ["item_id"] = "msg_fake", ["output_index"] = 0, ["content_index"] = 0, ["text"] = streamed,
                ["logprobs"] = new JsonArray(),
            }));
            events.Add(Event(new() { ["type"] = "response.content_part.done", ["item_id"] = "msg_fake", ["output_index"] = 0, ["content_index"] = 0, ["part"] = TextPart(streamed) }));
            done = Message(streamed, "completed");
        }
        else
        {
            events.Add(Event(new() { ["type"] = "response.output_item.added", ["output_index"] = 0, ["item"] = Call(tool, "", "in_progress") }));
            foreach (var delta in new[] { ToolArguments[..5], ToolArguments[5..] })
                events.Add(Event(new() { ["type"] = "response.function_call_arguments.delta", ["item_id"] = "fc_fake", ["output_index"] = 0, ["delta"] = delta }));
            events.Add(Event(new() { ["type"] = "response.function_call_arguments.done", ["item_id"] = "fc_fake", ["output_index"] = 0, ["arguments"] = ToolArguments }));
            done = Call(tool, ToolArguments, "completed");
        }
        events.Add(Event(new() { ["type"] = "response.output_item.done", ["output_index"] = 0, ["item"] = done.DeepClone() }));
        events.Add(Event(new()
        {
            ["type"] = "response.completed",
            ["response"] = Response(model, body, "completed", [done], usage ? ResponseUsage(prompt, StreamedText.Length) : null),
        }));
        // Gated: the provider waits after the first text delta (event 4).
        await StreamAsync(http, model, events, gateAt: 5);
    }

    /// <summary>What OpenAI would refuse with a 400 that this stand-in reads: a text or a tool name that is not a string.</summary>
    private static string? Malformed(JsonObject body)
    {
        static bool IsString(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;
        var items = (body["input"] as JsonArray ?? []).Select((item, i) => (item as JsonObject, i));
        foreach (var (item, i) in items)
            if (item?["content"] is JsonArray parts)
                for (var j = 0; j < parts.Count; j++)
                    if (parts[j] is JsonObject part && part["text"] is { } text && !IsString(text))
                        return $"input[{i}].content[{j}].text";
        var tools = body["tools"] as JsonArray ?? [];
        for (var i = 0; i < tools.Count; i++)
            if (!IsString(tools[i]?["name"]))
                return $"tools[{i}].name";
        return null;
    }

    /// <summary>Characters of the instructions and of every text in the input.</summary>
    private static int InputTokens(JsonObject body)
    {
        static int Text(JsonNode? content) => content switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length,
            JsonArray parts => parts.OfType<JsonObject>().Sum(p => p["text"] is JsonValue t ? t.GetValue<string>().Length : 0),
            _ => 0,
        };
        var input = body["input"] is JsonArray items ? items.OfType<JsonObject>().Sum(i => Text(i["content"])) : Text(body["input"]);
        return input + Text(body["instructions"]);
    }

    private static JsonObject Response(string model, JsonObject request, string status, JsonArray output, JsonObject? usage) => new()
    {
        ["id"] = ResponseId, ["object"] = "response", ["created_at"] = 1_764_000_000, ["status"] = status, ["error"] = null,
        ["incomplete_details"] = null, ["instructions"] = request["instructions"]?.DeepClone(), ["max_output_tokens"] = request["max_output_tokens"]?.DeepClone(),
        ["model"] = model, ["output"] = output, ["parallel_tool_calls"] = true, ["previous_response_id"] = null,
        ["reasoning"] = new JsonObject { ["effort"] = null, ["summary"] = null },
        ["store"] = request["store"]?.DeepClone() ?? true, ["temperature"] = 1.0, ["text"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } },
        ["tool_choice"] = "auto", ["tools"] = request["tools"]?.DeepClone() ?? new JsonArray(), ["top_p"] = 1.0, ["truncation"] = "disabled",
        ["usage"] = usage, ["user"] = null, ["metadata"] = new JsonObject(),
    };

    private static JsonObject ResponseUsage(int input, int output) => new()
    {
        ["input_tokens"] = input, ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = Math.Min(CachedTokens, input) },
        ["output_tokens"] = output, ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = Math.Min(ReasoningTokens, output) },
        ["total_tokens"] = input + output,
    };

    private static JsonObject Message(string? text, string status) => new()
    {
        ["type"] = "message", ["id"] = "msg_fake", ["status"] = status, ["role"] = "assistant",
        ["content"] = text is null ? new JsonArray() : new JsonArray(TextPart(text)),
    };

    private static JsonObject TextPart(string text) => new()
    {
        ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray(), ["logprobs"] = new JsonArray(),
    };

    private static JsonObject Call(string name, string arguments, string status) => new()
    {
        ["type"] = "function_call", ["id"] = "fc_fake", ["call_id"] = ToolCallId, ["name"] = name, ["arguments"] = arguments, ["status"] = status,
    };
}
