using System.Text.RegularExpressions;

namespace Governance.Scan.Detection;

public enum Confidence
{
    /// <summary>A documented prefix with a fixed shape or marker, or a checksum that validates.</summary>
    High,
    /// <summary>A documented prefix, but a shape other strings could share.</summary>
    Medium,
    /// <summary>No prefix: only the variable name next to it says it is a key.</summary>
    Low,
}

/// <summary>
/// One kind of secret. <see cref="Pattern"/> may name a group <c>secret</c> (the secret inside a longer match, for the
/// rules that need the variable name next to it) and a group <c>prefix</c> (the documented prefix, the only part of a
/// provider key a report shows); without <c>secret</c> the whole match is the secret. Every match contains one of
/// <see cref="Anchors"/> (ignoring case for a <see cref="Contextual"/> rule), so content without any is not searched.
/// </summary>
public sealed record SecretRule(string Id, string Name, string Title, string Help, Confidence Confidence, Regex Pattern, string[] Anchors, bool Contextual = false)
{
    public bool IsVirtualKey => Id == SecretRules.VirtualKeyId;

    public override string ToString() => Id;
}
