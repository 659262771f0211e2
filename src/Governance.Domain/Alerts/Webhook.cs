namespace Governance.Domain.Alerts;

/// <summary>
/// Where alerts go: scope "global", "approvers" or "app:{name}". The shared secret signs each delivery (HMAC-SHA-256) and is
/// stored only as AES-GCM ciphertext. Stream: "webhook:{scope}".
/// </summary>
public sealed record WebhookConfigured(string Scope, string Url, string EncryptedSecret, string ConfiguredBy, DateTimeOffset ConfiguredAt);

/// <summary>The same secret, encrypted again under another master key (the <c>rotate-master-key</c> command).</summary>
public sealed record WebhookSecretReencrypted(string Scope, string EncryptedSecret, string ReencryptedBy, DateTimeOffset ReencryptedAt);

public sealed record Webhook(string Id, string Scope, string Url, string EncryptedSecret)
{
    public const string Global = "global";

    /// <summary>Where new access requests are announced to approvers (falls back to the global webhook).</summary>
    public const string Approvers = "approvers";

    public static string StreamId(string scope) => "webhook:" + scope;

    public static string AppScope(string app) => "app:" + app;

    public static Webhook? Evolve(Webhook? state, object @event) => @event switch
    {
        WebhookConfigured e => new Webhook(StreamId(e.Scope), e.Scope, e.Url, e.EncryptedSecret),
        WebhookSecretReencrypted e => state is null ? null : state with { EncryptedSecret = e.EncryptedSecret },
        _ => state,
    };
}
