using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Domain.Budgets;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Migration;

/// <summary>LiteLLM's <c>/key/generate</c> body (its main parameters; docs/litellm-migration.md lists what is not supported).</summary>
public sealed record LiteLlmGenerateKey(
    [property: JsonPropertyName("models")] IReadOnlyList<string>? Models,
    [property: JsonPropertyName("max_budget")] decimal? MaxBudget,
    [property: JsonPropertyName("budget_duration")] string? BudgetDuration,
    [property: JsonPropertyName("rpm_limit")] long? RpmLimit,
    [property: JsonPropertyName("tpm_limit")] long? TpmLimit,
    [property: JsonPropertyName("max_parallel_requests")] int? MaxParallelRequests,
    [property: JsonPropertyName("duration")] string? Duration,
    [property: JsonPropertyName("key_alias")] string? KeyAlias,
    [property: JsonPropertyName("team_id")] string? TeamId,
    [property: JsonPropertyName("metadata")] Dictionary<string, JsonElement>? Metadata)
{
    public const string DefaultApp = "litellm";

    /// <summary>Our keys belong to an app: <c>team_id</c>, else <c>metadata.app</c>, else "litellm".</summary>
    public string App => TeamId ?? (Metadata?.TryGetValue("app", out var app) == true && app.ValueKind == JsonValueKind.String ? app.GetString()! : DefaultApp);

    public KeyRateLimits Limits => new(RpmLimit, TpmLimit, MaxParallelRequests);

    public sealed class Validator : AbstractValidator<LiteLlmGenerateKey>
    {
        public Validator()
        {
            RuleFor(x => x.App).IsName().OverridePropertyName("team_id");
            RuleFor(x => x.KeyAlias!).IsName().OverridePropertyName("key_alias").When(x => x.KeyAlias is not null);
            RuleForEach(x => x.Models).IsName().OverridePropertyName("models");
            RuleFor(x => x.MaxBudget).InclusiveBetween(0, 100_000_000).OverridePropertyName("max_budget");
            RuleFor(x => x.BudgetDuration).Must(d => d is null || LiteLlmDurations.BudgetPeriod(d) is not null).OverridePropertyName("budget_duration")
                .WithMessage("'budget_duration' must be a number and a unit: 30s, 30m, 24h, 30d, 2w, 1mo or 1y.");
            RuleFor(x => x.Duration).Must(d => d is null || LiteLlmDurations.TryParse(d, out _, out _)).OverridePropertyName("duration")
                .WithMessage("'duration' must be a number and a unit: 30s, 30m, 24h, 30d, 2w, 1mo or 1y.");
            RuleFor(x => x.RpmLimit).InclusiveBetween(0, KeyRateLimits.MaxRequestsPerMinute).OverridePropertyName("rpm_limit");
            RuleFor(x => x.TpmLimit).InclusiveBetween(0, KeyRateLimits.MaxTokensPerMinute).OverridePropertyName("tpm_limit");
            RuleFor(x => x.MaxParallelRequests).InclusiveBetween(0, KeyRateLimits.MaxParallelCap).OverridePropertyName("max_parallel_requests");
        }
    }
}

/// <summary>A key named the LiteLLM way: the key itself (<c>gk_…</c>) or our key id (LiteLLM's hashed "token").</summary>
public sealed record LiteLlmKeyRef([property: JsonPropertyName("key")] string? Key)
{
    public sealed class Validator : AbstractValidator<LiteLlmKeyRef>
    {
        public Validator() => RuleFor(x => x.Key).NotEmpty().MaximumLength(KeyRules.MaxNameLength).OverridePropertyName("key");
    }
}

public sealed record LiteLlmDeleteKeys([property: JsonPropertyName("keys")] IReadOnlyList<string>? Keys)
{
    public const int MaxKeys = 1000;

    public sealed class Validator : AbstractValidator<LiteLlmDeleteKeys>
    {
        public Validator()
        {
            RuleFor(x => x.Keys).NotEmpty().Must(k => k is null || k.Count <= MaxKeys).OverridePropertyName("keys")
                .WithMessage($"'keys' must list 1 to {MaxKeys} keys.");
            RuleForEach(x => x.Keys).NotEmpty().MaximumLength(KeyRules.MaxNameLength).OverridePropertyName("keys");
        }
    }
}

/// <summary>
/// LiteLLM-shaped key management (<c>/key/generate</c>, <c>/key/info</c>, <c>/key/delete</c>, <c>/key/block</c>,
/// <c>/key/unblock</c>) over our key events, so scripts written for LiteLLM keep working with an operator token in place
/// of the master key. Generate = key_issued (+ key_rate_limits_set, + budget_set); delete = key_revoked;
/// block = key_suspended; unblock = key_resumed.
/// </summary>
[Roles(OperatorRoles.Admin)]
public static class LiteLlmKeyEndpoints
{
    [WolverinePost("/key/generate")]
    public static async Task<IResult> Generate(LiteLlmGenerateKey command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var keyId = KeyFormat.NewKeyId();
        var key = KeyFormat.NewKey(keyId);
        IReadOnlyList<string> models = command.Models is { Count: > 0 } m ? m : ["*"];
        var issued = VirtualKeyDecider.Issue(keyId, command.App, command.KeyAlias ?? "litellm key", models,
            LiteLlmDurations.After(command.Duration, now), KeyFormat.Hash(key), user.Actor(), now);
        object[] events = [issued, .. VirtualKeyDecider.InitialLimits(issued, command.Limits)];
        session.Events.StartStream<VirtualKey>(keyId, events);
        Budget? budget = null;
        if (command.MaxBudget is { } limit)
        {
            // No budget_duration in LiteLLM means a budget that never resets.
            var set = new BudgetSet(BudgetLevel.Key, keyId, limit, LiteLlmDurations.BudgetPeriod(command.BudgetDuration) ?? BudgetPeriod.Lifetime,
                Budget.DefaultThresholds, user.Actor(), now);
            session.Events.Append(BudgetIds.Definition(BudgetLevel.Key, keyId), set);
            budget = Budget.Evolve(null, set);
        }
        await session.SaveChangesAsync(ct);
        var state = events.Aggregate<object, VirtualKey?>(null, VirtualKey.Evolve)!;
        return Results.Ok(LiteLlmKeyInfo.From(state, budget, command.BudgetDuration, command.Metadata) with { Key = key });
    }

    /// <summary>
    /// By the key's id only (LiteLLM's <c>token</c>). LiteLLM also takes the whole key in <c>?key=</c>, but URLs end up
    /// in proxy and access logs and shell history, so a whole key there is refused, unread, with its id to ask by instead.
    /// </summary>
    [WolverineGet("/key/info")]
    public static async Task<IResult> Info(string? key, IQuerySession session, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(key))
            return Problems.Field("key", "'key' is required: the key's id (LiteLLM's token).");
        if (key.StartsWith(KeyFormat.Prefix, StringComparison.Ordinal))
            return Problems.Field("key", "A whole key does not belong in a URL (logs and histories keep URLs): ask with the key's id" +
                (KeyFormat.TryGetKeyId(key) is { } id ? $", '{id}'." : ", the 16 characters after 'gk_'."));
        var found = await session.LoadAsync<VirtualKey>(key, ct);
        if (found is null)
            return Problems.NotFound("The key");
        var budget = await session.LoadAsync<Budget>(BudgetIds.Definition(BudgetLevel.Key, found.Id), ct);
        return Results.Ok(new { key = found.Id, info = LiteLlmKeyInfo.From(found, budget, null, null) });
    }

    [WolverinePost("/key/delete")]
    public static async Task<IResult> Delete(LiteLlmDeleteKeys command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var keys = new List<VirtualKey>();
        foreach (var presented in command.Keys!)
        {
            if (await FindAsync(session, presented, ct) is not { } found)
                return Problems.Field("keys", $"Key '{KeyFormat.TryGetKeyId(presented) ?? presented}' does not exist.");
            keys.Add(found);
        }
        foreach (var found in keys)
            session.Events.Append(found.Id, VirtualKeyDecider.Revoke(found, "deleted via /key/delete", user.Actor(), clock.GetUtcNow()));
        await session.SaveChangesAsync(ct);
        return Results.Ok(new { deleted_keys = command.Keys });
    }

    [WolverinePost("/key/block")]
    public static Task<IResult> Block(LiteLlmKeyRef command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct) =>
        ChangeAsync(command, session, ct, k => VirtualKeyDecider.Suspend(k, "blocked via /key/block", user.Actor(), clock.GetUtcNow()));

    [WolverinePost("/key/unblock")]
    public static Task<IResult> Unblock(LiteLlmKeyRef command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct) =>
        ChangeAsync(command, session, ct, k => VirtualKeyDecider.Resume(k, user.Actor(), clock.GetUtcNow()));

    private static async Task<IResult> ChangeAsync(LiteLlmKeyRef command, IDocumentSession session, CancellationToken ct, Func<VirtualKey, object[]> decide)
    {
        if (await FindAsync(session, command.Key!, ct) is not { } found)
            return Problems.NotFound("The key");
        var events = decide(found);
        session.Events.Append(found.Id, events);
        await session.SaveChangesAsync(ct);
        var budget = await session.LoadAsync<Budget>(BudgetIds.Definition(BudgetLevel.Key, found.Id), ct);
        return Results.Ok(LiteLlmKeyInfo.From(events.Aggregate(found, (k, e) => VirtualKey.Evolve(k, e)!), budget, null, null));
    }

    /// <summary>By id, or by the key itself, whose secret must then match (a wrong secret is answered like an unknown key).</summary>
    private static async Task<VirtualKey?> FindAsync(IQuerySession session, string presented, CancellationToken ct)
    {
        var id = KeyFormat.TryGetKeyId(presented);
        var key = await session.LoadAsync<VirtualKey>(id ?? presented, ct);
        if (key is null || id is null)
            return key;
        return KeyFormat.Matches(presented, key.SecretHash) || KeyFormat.Matches(presented, key.PreviousSecretHash) ? key : null;
    }
}

/// <summary>A key in LiteLLM's shape. <see cref="Key"/> (the secret) is only ever set in /key/generate's answer.</summary>
public sealed record LiteLlmKeyInfo(
    [property: JsonPropertyName("key"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key,
    [property: JsonPropertyName("key_name")] string KeyName,
    [property: JsonPropertyName("key_alias")] string KeyAlias,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("team_id")] string TeamId,
    [property: JsonPropertyName("models")] IReadOnlyList<string> Models,
    [property: JsonPropertyName("expires")] DateTimeOffset? Expires,
    [property: JsonPropertyName("blocked")] bool Blocked,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("max_budget")] decimal? MaxBudget,
    [property: JsonPropertyName("budget_duration")] string? BudgetDuration,
    [property: JsonPropertyName("rpm_limit")] long? RpmLimit,
    [property: JsonPropertyName("tpm_limit")] long? TpmLimit,
    [property: JsonPropertyName("max_parallel_requests")] int? MaxParallelRequests,
    [property: JsonPropertyName("metadata")] IReadOnlyDictionary<string, JsonElement> Metadata,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt)
{
    public static LiteLlmKeyInfo From(VirtualKey key, Budget? budget, string? budgetDuration, IReadOnlyDictionary<string, JsonElement>? metadata) => new(
        null, $"gk_{key.Id}_…", key.Name, key.Id, key.App, key.Models.Contains("*") ? [] : key.Models, key.ExpiresAt,
        key.Status != KeyStatus.Active, key.Status.ToString().ToLowerInvariant(), budget?.Limit,
        budgetDuration ?? budget?.Period.ToString().ToLowerInvariant(), key.Limits.RequestsPerMinute, key.Limits.TokensPerMinute,
        key.Limits.MaxParallel, metadata ?? new Dictionary<string, JsonElement>(), key.IssuedAt);
}
