using Governance.Domain.Keys;

namespace Governance.Tests.Domain;

/// <summary>Folds past events into key state, the "given" of given/when/then.</summary>
internal static class Given
{
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    public const string KeyId = "k1abcdefghijklmn";
    public const string App = "billing";
    public const string Admin = "op_admin";

    public static VirtualKey? Fold(params object[] events) => events.Aggregate((VirtualKey?)null, VirtualKey.Evolve);

    public static VirtualKey Key(params object[] events) =>
        Fold(events) ?? throw new InvalidOperationException("The given events do not start a key.");

    public static KeyIssued Issued(
        string[]? models = null, DateTimeOffset? expiresAt = null, string secretHash = "hash-v1", string keyId = KeyId) =>
        new(keyId, App, "checkout", models ?? ["gpt-4o-mini"], expiresAt, secretHash, Admin, Now.AddDays(-1));
}
