using Microsoft.Extensions.Configuration;

namespace Governance.Api.Migration;

/// <summary>
/// The environment variables a LiteLLM config may read with <c>os.environ/NAME</c>: those named in
/// <c>Migration__AllowedEnvNames</c> or starting with a prefix of <c>Migration__AllowedEnvPrefixes</c> (default
/// <see cref="DefaultPrefix"/>), and never one the gateway itself reads as configuration (the master key, the audit key,
/// the connection string, any <c>Section__Key</c>, …), even when listed: the import would store its value as a provider
/// key and the proxy would send it to whatever <c>api_base</c> the config names.
/// </summary>
public sealed class ImportEnvironment(IEnumerable<string> names, IEnumerable<string> prefixes, Func<string, string?> read)
{
    public const string DefaultPrefix = "LITELLM_IMPORT_";

    /// <summary>Prefixes of what this process (ASP.NET Core, .NET, OpenTelemetry, Npgsql's PG* defaults, ours) reads.</summary>
    private static readonly string[] GatewayPrefixes = ["GOVERNANCE_", "ASPNETCORE_", "DOTNET_", "OTEL_", "PG"];

    private readonly HashSet<string> _names = names.Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
    private readonly string[] _prefixes = prefixes.Where(p => p.Length > 0).ToArray();

    public static ImportEnvironment From(IConfiguration configuration, Func<string, string?> read) => new(
        List(configuration["Migration:AllowedEnvNames"] ?? ""),
        List(configuration["Migration:AllowedEnvPrefixes"] ?? DefaultPrefix),
        read);

    /// <summary>Why the config may not read this variable (to follow "refers to the environment variable NAME, "), or null.</summary>
    public string? Refusal(string name)
    {
        if (IsGatewaySetting(name))
            return "one of the gateway's own settings, which an import never reads";
        if (!_names.Contains(name) && !_prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            return "which the import may not read: allow it in Migration__AllowedEnvNames, or give it a prefix listed in "
                + $"Migration__AllowedEnvPrefixes ({(_prefixes.Length == 0 ? "none" : string.Join(", ", _prefixes))})";
        return null;
    }

    public string? Read(string name) => read(name);

    /// <summary>
    /// Configuration keys are case-insensitive and every environment variable is read into the configuration, so any name
    /// with a section separator counts, whatever its case.
    /// </summary>
    private static bool IsGatewaySetting(string name) =>
        name.Contains("__", StringComparison.Ordinal) || name.Contains(':', StringComparison.Ordinal)
        || GatewayPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<string> List(string text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
