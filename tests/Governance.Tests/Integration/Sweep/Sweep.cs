using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alba;
using Governance.Store.Audit;
using Governance.Tests.Integration.Roles;

namespace Governance.Tests.Integration.Sweep;

public enum BodyKind
{
    /// <summary>A JSON object (or, with <see cref="SweepRow{TWorld}.Batch"/>, one object or an array of them).</summary>
    Json,

    /// <summary>A YAML document: only the whole-body probes apply.</summary>
    Yaml,
}

/// <summary>What one row sends: the URL (often of a resource made for it) and a body the endpoint accepts.</summary>
public sealed record SweepCall(string Url, object Body);

/// <summary>
/// One write endpoint: <see cref="Call"/> makes a fresh call whose body is valid, from the ids of a
/// <typeparamref name="TWorld"/>. <see cref="Optional"/> names the fields (paths such as <c>rateLimits.maxParallel</c>, or
/// <c>*</c> for all) that may be null or missing. <see cref="Lenient"/>: a wrong field is skipped rather than refused (a
/// third party's file), so field probes only must not fail the server. <see cref="SizeLimited"/>: a body past the target's
/// body limit is refused (413; batches may be larger). <see cref="FreeForm"/>: fields that hold any JSON (echoed metadata,
/// or what the proxy forwards unread for the provider to judge), so only too deep a value must be refused in them.
/// <see cref="LongText"/>: strings that may legitimately be 100,000 characters long (a prompt). <see cref="OrString"/>:
/// arrays that may as well be a string (a message's content, as text rather than parts). <see cref="UniqueNames"/>: a
/// property named twice is refused, naming it.
/// </summary>
public sealed record SweepRow<TWorld>(
    string Method, string Pattern, string Caller, Func<TWorld, Task<SweepCall>> Call, string[]? Optional = null, bool Batch = false,
    BodyKind Kind = BodyKind.Json, bool Lenient = false, bool SizeLimited = true, string[]? FreeForm = null, string[]? LongText = null,
    string[]? OrString = null, bool UniqueNames = false)
{
    public string Name => $"{Method} {Pattern}";

    public bool IsOptional(string path) => Optional is { } o && (o.Contains("*") || o.Contains(path));

    public bool IsFreeForm(string path) => FreeForm?.Any(f => path == f || path.StartsWith(f + ".", StringComparison.Ordinal)) == true;

    /// <summary>Whether <paramref name="what"/> is a valid value at <paramref name="path"/> after all.</summary>
    public bool Accepts(string path, string what) =>
        (what == SweepRun.LongString && LongText?.Contains(path) == true) || (what == SweepRun.AsString && OrString?.Contains(path) == true);
}

/// <summary>
/// An error shape: the API's problem details, or (for proxy rows) the called API's own error body: <see cref="Fits"/>
/// says a refusal's body has that shape, <see cref="NamesField"/> that it names the field.
/// </summary>
public sealed record ErrorShape(string Name, Func<string?, bool> HasContentType, Func<string, string, bool> NamesField, Func<string, bool>? Fits = null);

/// <summary>
/// Where a row is sent, as whom, and how its refusals look. <see cref="MaxBodyBytes"/>: the target's body limit.
/// <see cref="Forwarded"/> (the proxy): how many calls reached the provider so far, so a refused probe is known to have
/// been forwarded nowhere. <see cref="Sign"/>: headers that sign each body sent (an endpoint authenticated by a signature
/// over its body, <c>POST /api/leaks</c>), so every probe reaches the body's reading.
/// </summary>
public sealed record SweepTarget(
    HttpClient Client, string? Token, ErrorShape Shape, long MaxBodyBytes = 1 << 20, Func<int>? Forwarded = null,
    Func<byte[], IEnumerable<(string Name, string Value)>>? Sign = null)
{
    public static readonly ErrorShape ProblemDetails = new("problem+json",
        type => type?.StartsWith("application/problem+json", StringComparison.Ordinal) == true,
        (body, field) => body.Contains(field, StringComparison.OrdinalIgnoreCase));

    /// <summary>OpenAI's <c>{"error":{"message","type","param","code"}}</c>; the field at fault is <c>param</c>.</summary>
    public static readonly ErrorShape OpenAi = new("OpenAI error",
        type => type == "application/json",
        (body, field) => Error(body) is { } e && e.TryGetProperty("param", out var param) && param.ValueKind == JsonValueKind.String
            && param.GetString()!.Contains(field, StringComparison.Ordinal),
        body => Error(body) is { } e && e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
            && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && e.TryGetProperty("param", out _));

    /// <summary>Anthropic's <c>{"type":"error","error":{"type","message"}}</c>; the field at fault starts the message (<c>max_tokens: …</c>).</summary>
    public static readonly ErrorShape Anthropic = new("Anthropic error",
        type => type == "application/json",
        (body, field) => Error(body) is { } e && e.GetProperty("message").GetString() is { } message && message.IndexOf(": ", StringComparison.Ordinal) is > 0 and var end
            && message[..end].Contains(field, StringComparison.Ordinal),
        body => Error(body) is { } e && Root(body)?.GetProperty("type").GetString() == "error"
            && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            && e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String);

    private static JsonElement? Root(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement? Error(string body) =>
        Root(body) is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object ? error : null;
}

/// <summary>The ids the rows call with, and fresh resources for rows whose call changes what it names.</summary>
public sealed class SweepWorld
{
    private static readonly ConcurrentDictionary<GovernanceFixture, Lazy<Task<SweepWorld>>> Worlds = new();

    private SweepWorld(GovernanceFixture fx) => Fx = fx;

    public GovernanceFixture Fx { get; }
    public Dictionary<string, string?> Tokens { get; } = [];
    public string AdapterId { get; private set; } = "";
    public string Provider { get; private set; } = "";
    public string Model { get; private set; } = "";
    public string OtherModel { get; private set; } = "";
    public string RestrictedModel { get; private set; } = "";
    public string App { get; } = Api.Unique("sweep-app");
    public string Key { get; private set; } = "";
    public string KeyId { get; private set; } = "";
    public string BudgetedKeyId { get; private set; } = "";

    public static Task<SweepWorld> For(GovernanceFixture fx) => Worlds.GetOrAdd(fx, f => new Lazy<Task<SweepWorld>>(() => BuildAsync(f))).Value;

    private static async Task<SweepWorld> BuildAsync(GovernanceFixture fx)
    {
        var w = new SweepWorld(fx);
        w.Model = await fx.ProviderAndModel();
        w.Provider = (await fx.Api.Get($"/api/models/{w.Model}").Json()).GetProperty("provider").GetString()!;
        w.OtherModel = await fx.ProviderAndModel();
        w.RestrictedModel = await fx.ProviderAndModel();
        await fx.Api.Send("PUT", $"/api/models/{w.RestrictedModel}/policy", new { restricted = true, approvalsRequired = 1, maxGrantDays = 30 },
            GovernanceFixture.AdminToken);
        var key = await fx.IssueKey(w.App, w.Model, w.RestrictedModel);
        (w.Key, w.KeyId) = (key.Key, key.Id);
        w.BudgetedKeyId = (await fx.IssueKey(w.App, w.Model)).Id;
        await fx.Api.Send("PUT", $"/api/budgets/key/{w.BudgetedKeyId}", new { limit = 1000m, period = "monthly" }, GovernanceFixture.AdminToken);
        w.AdapterId = Api.Unique("sweep-adapter");
        var adapter = await fx.Api.Post("/api/operators", new { name = w.AdapterId, roles = new[] { "adapter" }, adapterId = w.AdapterId }, 201).Json();
        w.Tokens["admin"] = GovernanceFixture.AdminToken;
        w.Tokens["approver"] = (await fx.IssueOperator("approver")).Token;
        w.Tokens["adapter"] = adapter.GetProperty("token").GetString();
        return w;
    }

    public async Task<string> NewKeyAsync() => (await Fx.IssueKey(App, Model)).Id;

    public async Task<string> NewOperatorAsync() => (await Fx.IssueOperator("auditor")).Id;

    public async Task<string> NewAccessRequestAsync() =>
        (await Fx.Api.Post("/api/access-requests", new { keyId = KeyId, model = RestrictedModel, justification = "sweep", durationDays = 1 }, 201).Json())
        .GetProperty("id").GetString()!;

    public async Task<string> NewGrantAsync()
    {
        var id = await NewAccessRequestAsync();
        await Fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "sweep" }, 200, Tokens["approver"]);
        return id;
    }

    public async Task<string> NewLeaseAsync()
    {
        var answer = await Fx.Api.Post("/api/leases", new { adapterId = AdapterId, keyId = BudgetedKeyId, need = 0.001m }, 200, Tokens["adapter"]).Json();
        return answer.GetProperty("slices")[0].GetProperty("leaseId").GetString()!;
    }
}

/// <summary>Builds each probe of a row, sends it, and says what was wrong with the answers.</summary>
public static class SweepRun
{
    /// <summary>Nesting that no body of ours needs, and that a recursive reader would not survive.</summary>
    public const int DeepNesting = 10_000;

    private static readonly int[] Refusals = [400, 413, 415, 422];

    /// <summary>A probe that must be refused (naming <paramref name="Field"/> when set), or that may pass.</summary>
    private sealed record Probe(string What, string Body, string ContentType, bool MustRefuse, string? Field);

    public static async Task<List<string>> RunAsync<TWorld>(SweepRow<TWorld> row, TWorld world, SweepTarget target)
    {
        var call = await row.Call(world);
        var valid = row.Kind == BodyKind.Yaml ? (string)call.Body : JsonSerializer.Serialize(call.Body, JsonSerializerOptions.Web);
        List<string> wrong = [];
        // Probes that must be refused first: one that may pass could change what the rest are sent to.
        foreach (var probe in Probes(row, valid, target.MaxBodyBytes).OrderByDescending(p => p.MustRefuse))
        {
            var forwarded = target.Forwarded?.Invoke();
            var (status, contentType, body) = await SendAsync(target, row.Method, call.Url, probe.Body, probe.ContentType);
            if (Judge(probe, status, contentType, body, target.Shape) is { } problem)
                wrong.Add($"{probe.What}: {problem} — {Shorten(body)}");
            else if (probe.MustRefuse && target.Forwarded?.Invoke() != forwarded)
                wrong.Add($"{probe.What}: refused ({status}), yet forwarded to the provider");
        }

        // The row's own body still works (so the probes were refused for what they broke, not for a stale row).
        var fresh = await row.Call(world);
        var freshBody = row.Kind == BodyKind.Yaml ? (string)fresh.Body : JsonSerializer.Serialize(fresh.Body, JsonSerializerOptions.Web);
        var (okStatus, _, okBody) = await SendAsync(target, row.Method, fresh.Url, freshBody, ContentTypeOf(row));
        if (okStatus is < 200 or >= 300)
            wrong.Add($"the valid body: got {okStatus} — {Shorten(okBody)}");
        return wrong;
    }

    private static string? Judge(Probe probe, int status, string? contentType, string body, ErrorShape shape)
    {
        if (status >= 500)
            return $"got {status}";
        if (status >= 400 && !shape.HasContentType(contentType))
            return $"got {status} without a {shape.Name} body ({contentType})";
        if (status >= 400 && shape.Fits is { } fits && !fits(body))
            return $"got {status} with a body that is not an {shape.Name}";
        if (!probe.MustRefuse)
            return null;
        if (!Refusals.Contains(status))
            return $"got {status}, expected one of {string.Join("/", Refusals)}";
        if (probe.Field is { } field && !shape.NamesField(body, field))
            return $"got {status} without naming '{field}'";
        return null;
    }

    private static IEnumerable<Probe> Probes<TWorld>(SweepRow<TWorld> row, string valid, long maxBodyBytes)
    {
        var type = ContentTypeOf(row);
        yield return new("an empty body", "", type, true, null);
        yield return new($"{DeepNesting:N0} nested arrays", new string('[', DeepNesting) + new string(']', DeepNesting), type, true, null);
        if (row.Kind == BodyKind.Yaml)
        {
            yield return new("not YAML", "model_list: [unclosed\n  - {", type, true, null);
            yield return new("a 100,000-character scalar", "model_list: " + new string('x', 100_000), type, true, null);
            yield break;
        }

        yield return new("not JSON", "{\"oops", type, true, null);
        yield return new("JSON null", "null", type, true, null);
        yield return new("a number", "42", type, true, null);
        yield return new("a text/plain body", valid, "text/plain", true, null);
        if (!row.Batch)
            yield return new("an array", $"[{valid}]", type, true, null);
        if (row.SizeLimited && !row.Batch)
            yield return new("a body past the limit",
                valid.Insert(1, $"\"padding\":\"{new string('x', checked((int)maxBodyBytes + 1))}\","), type, true, null);

        var root = JsonNode.Parse(valid)!;
        var deep = new string('[', DeepNesting) + new string(']', DeepNesting);
        foreach (var (path, segments, node) in Fields(root, "", []))
        {
            var name = segments.OfType<string>().Last();
            var refuse = !row.Lenient;
            var freeForm = row.IsFreeForm(path);
            foreach (var (what, raw) in WrongValues(node))
                yield return new($"'{path}' {what}", Replace(root, segments, raw), type, refuse && !freeForm && !row.Accepts(path, what), name);
            if (row.UniqueNames && segments[^1] is string)
                yield return new($"'{path}' named twice", Replace(root, segments, node?.ToJsonString() ?? "null", twice: true), type, true, name);
            // Too deep is refused before any field is read: the problem names the top-level field it is in.
            yield return new($"'{path}' as {DeepNesting:N0} nested arrays", Replace(root, segments, deep), type, refuse, (string)segments[0]);
            var optional = row.IsOptional(path);
            yield return new($"'{path}' null", Replace(root, segments, "null"), type, refuse && !optional, name);
            // Leaving out an item of a list is a shorter list, not a missing field.
            if (segments[^1] is string)
                yield return new($"'{path}' missing", Replace(root, segments, null), type, refuse && !optional, name);
        }
    }

    public const string LongString = "of 100,000 characters", AsString = "as a string";

    /// <summary>For each kind of value, what it must not be given as.</summary>
    private static IEnumerable<(string What, string Raw)> WrongValues(JsonNode? node)
    {
        switch (node?.GetValueKind())
        {
            case JsonValueKind.Number:
                yield return ("as a string", $"\"{node}\"");
                yield return ("as true", "true");
                yield return ("= 1e400", "1e400");
                yield return ("= 99999999999999999999999", "99999999999999999999999");
                yield return ("= -99999999999999999999999", "-99999999999999999999999");
                yield return ("negative", "-1");
                break;
            case JsonValueKind.String:
                yield return ("as a number", "12345");
                yield return ("as an object", "{\"a\":1}");
                yield return (LongString, $"\"{new string('x', 100_000)}\"");
                break;
            case JsonValueKind.True or JsonValueKind.False:
                yield return ("as a string", "\"true\"");
                yield return ("as a number", "1");
                break;
            case JsonValueKind.Array:
                yield return (AsString, "\"x\"");
                yield return ("as an object", "{}");
                break;
            case JsonValueKind.Object:
                yield return ("as a string", "\"x\"");
                yield return ("as an array", "[]");
                break;
        }
    }

    /// <summary>Every field, nested ones and array items included, with its path and how to reach it.</summary>
    private static IEnumerable<(string Path, object[] Segments, JsonNode? Node)> Fields(JsonNode node, string path, object[] segments)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o)
                {
                    var (p, s) = (path.Length == 0 ? name : $"{path}.{name}", (object[])[.. segments, name]);
                    yield return (p, s, child);
                    if (child is not null)
                        foreach (var f in Fields(child, p, s))
                            yield return f;
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var (p, s) = ($"{path}[{i}]", (object[])[.. segments, i]);
                    yield return (p, s, a[i]);
                    if (a[i] is { } child)
                        foreach (var f in Fields(child, p, s))
                            yield return f;
                }
                break;
        }
    }

    /// <summary>
    /// The body with the field at <paramref name="segments"/> set to <paramref name="raw"/> JSON, or removed when null;
    /// <paramref name="twice"/>: the property written twice, with that value both times.
    /// </summary>
    private static string Replace(JsonNode root, object[] segments, string? raw, bool twice = false)
    {
        const string marker = "\u0001sweep\u0001";
        var clone = root.DeepClone();
        var parent = segments[..^1].Aggregate(clone, (n, s) => s is int i ? n[i]! : n[(string)s]!);
        switch (segments[^1], raw)
        {
            case (string name, null): parent.AsObject().Remove(name); break;
            case (int index, null): parent.AsArray().RemoveAt(index); break;
            case (string name, _): parent[name] = marker; break;
            case (int index, _): parent[index] = marker; break;
        }
        var text = clone.ToJsonString();
        if (twice)
            raw = $"{raw},{JsonSerializer.Serialize((string)segments[^1])}:{raw}";
        return raw is null ? text : text.Replace(JsonSerializer.Serialize(marker), raw, StringComparison.Ordinal);
    }

    private static string ContentTypeOf<TWorld>(SweepRow<TWorld> row) => row.Kind == BodyKind.Yaml ? "application/yaml" : "application/json";

    private static async Task<(int Status, string? ContentType, string Body)> SendAsync(SweepTarget target, string method, string url, string body, string contentType)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (target.Token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Token);
        foreach (var (name, value) in target.Sign?.Invoke(bytes) ?? [])
            request.Headers.TryAddWithoutValidation(name, value);
        using var response = await target.Client.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType is { } media ? media : null, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Fails when a write endpoint <paramref name="host"/> serves has no row (nor an entry in <paramref name="exempt"/>),
    /// or a row names an endpoint it does not serve.
    /// </summary>
    public static void AssertEveryWriteHasARow(IAlbaHost host, IEnumerable<string> rows, IEnumerable<string> exempt, string what)
    {
        var writes = host.RunningEndpoints().Where(e => e.Split(' ')[0] is "POST" or "PUT" or "PATCH" or "DELETE").ToHashSet();
        var named = rows.Concat(exempt).ToHashSet();

        var missing = writes.Where(e => !named.Contains(e)).ToList();
        var stale = named.Where(r => !writes.Contains(r)).ToList();

        Assert.True(missing.Count == 0, $"Write endpoints of the {what} without a sweep row: " + string.Join(", ", missing));
        Assert.True(stale.Count == 0, $"Sweep rows for endpoints the {what} does not have: " + string.Join(", ", stale));
    }

    private static string Shorten(string body) => body.Length <= 300 ? body : body[..300] + "…";
}
