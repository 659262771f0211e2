namespace Governance.Domain;

/// <summary>The kind of broken rule, so the API can pick the HTTP status without knowing each rule.</summary>
public enum DomainErrorKind
{
    /// <summary>The command conflicts with the current state (HTTP 409).</summary>
    Conflict,
    /// <summary>The command is well-formed but not acceptable (HTTP 422).</summary>
    Unprocessable,
    /// <summary>This actor may never do this, whatever the state (HTTP 403), e.g. approving one's own request.</summary>
    Forbidden,
}

/// <summary>A business rule refused a command. Carries a stable machine-readable code.</summary>
public sealed class DomainException(string code, string message, DomainErrorKind kind = DomainErrorKind.Conflict)
    : Exception(message)
{
    public string Code { get; } = code;
    public DomainErrorKind Kind { get; } = kind;

    /// <summary>The request field at fault, when one is (the problem then names it).</summary>
    public string? Field { get; init; }
}
