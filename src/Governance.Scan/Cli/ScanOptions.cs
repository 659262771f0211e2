using System.Globalization;
using System.Net;
using Governance.Scan.Reports;

namespace Governance.Scan.Cli;

public enum Format
{
    Text,
    Json,
    Sarif,
}

/// <summary>The command line, parsed strictly: an unknown option, a missing value or a malformed number is a usage error (exit code 2).</summary>
public sealed record ScanOptions(
    string Path,
    ScanMode Mode,
    Format Format,
    string? Output,
    string? Baseline,
    string? WriteBaseline,
    long MaxFileSize,
    bool FollowSymlinks,
    Uri? Api,
    bool Revoke,
    string TokenVariable)
{
    public const string DefaultTokenVariable = "GOVERNANCE_SCAN_TOKEN";
    public const long DefaultMaxFileSize = 10 << 20;
    /// <summary>Content is read whole into memory: a bound well under the largest array.</summary>
    public const long MaxMaxFileSize = 1L << 30;

    public const string Usage = """
        usage: governance-scan [PATH] [options]
          PATH                    the directory (or file) to scan; with --git or --staged, a path in the repository (default: .)
          --git                   scan the repository's whole history: every blob reachable from any ref (branches, tags,
                                  stash, notes), deleted files included, with the commit that introduced each secret
          --staged                scan what is staged for the next commit (for a pre-commit hook)
          --format text|json|sarif   report format (default: text); SARIF 2.1.0 for code-scanning tools
          --output FILE           write the report to FILE instead of standard output
          --baseline FILE         fingerprints of accepted findings (one a line), which are then not reported
          --write-baseline FILE   write every finding's fingerprint to FILE and exit 0 (accept what is there now)
          --max-file-size SIZE    skip, and report, files larger than SIZE bytes; k, m or g for KiB, MiB, GiB (default: 10m)
          --follow-symlinks       follow symbolic links in a directory scan (each directory is entered once)
          --api URL               the governance API: look up each virtual key found (live, revoked or unknown)
          --revoke                with --api: revoke every live virtual key found, with the reason "leaked: <where>"
          --token-env NAME        the environment variable holding the operator token for --api (default: GOVERNANCE_SCAN_TOKEN);
                                  the token is never taken from the command line
          -h, --help              this text
        exit code: 0 nothing found (or only baselined or already revoked keys), 1 a live or unknown secret found,
                   2 usage, I/O, repository or API error
        """;

    /// <summary>Null when help was asked for.</summary>
    public static ScanOptions? Parse(IReadOnlyList<string> args)
    {
        string? path = null, output = null, baseline = null, writeBaseline = null, tokenVariable = null;
        bool git = false, staged = false, follow = false, revoke = false;
        var format = Format.Text;
        var maxFileSize = DefaultMaxFileSize;
        Uri? api = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help": return null;
                case "--git": git = true; break;
                case "--staged": staged = true; break;
                case "--follow-symlinks": follow = true; break;
                case "--revoke": revoke = true; break;
                case "--format": format = ParseFormat(Value(args, ref i)); break;
                case "--output": output = Value(args, ref i); break;
                case "--baseline": baseline = Value(args, ref i); break;
                case "--write-baseline": writeBaseline = Value(args, ref i); break;
                case "--max-file-size": maxFileSize = ParseSize(Value(args, ref i)); break;
                case "--api": api = ParseApi(Value(args, ref i)); break;
                case "--token-env": tokenVariable = ParseVariable(Value(args, ref i)); break;
                // Only the option's name is echoed: a value glued to it (--token=…) may be a secret.
                case var option when option.StartsWith("--token", StringComparison.Ordinal) || option.StartsWith("--api-token", StringComparison.Ordinal):
                    throw new ArgumentException($"{Name(option)}: the token is read from an environment variable only (see --token-env), never from the command line, which shell history and ps show");
                case var option when option.StartsWith('-') && option != "-":
                    throw new ArgumentException($"unknown option '{Name(option)}'");
                case var value when path is null: path = value; break;
                default: throw new ArgumentException("more than one PATH given");
            }
        }
        if (git && staged)
            throw new ArgumentException("--git and --staged exclude each other");
        if (follow && (git || staged))
            throw new ArgumentException("--follow-symlinks applies to a directory scan only (git records links, it does not follow them)");
        if (revoke && api is null)
            throw new ArgumentException("--revoke needs --api URL");
        if (tokenVariable is not null && api is null)
            throw new ArgumentException("--token-env needs --api URL");
        var mode = git ? ScanMode.Git : staged ? ScanMode.Staged : ScanMode.Directory;
        return new ScanOptions(path ?? ".", mode, format, output, baseline, writeBaseline, maxFileSize, follow, api, revoke,
            tokenVariable ?? DefaultTokenVariable);
    }

    private static string Name(string option) => Printable.Of(option.Split('=', 2)[0]);

    private static string Value(IReadOnlyList<string> args, ref int i) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static Format ParseFormat(string value) => value switch
    {
        "text" => Format.Text,
        "json" => Format.Json,
        "sarif" => Format.Sarif,
        _ => throw new ArgumentException($"--format: '{Printable.Of(value)}' is not one of text, json, sarif"),
    };

    /// <summary>Digits with an optional k, m or g (binary units); at least 1 byte, at most 1 GiB.</summary>
    public static long ParseSize(string value)
    {
        var unit = value.Length > 0 ? char.ToLowerInvariant(value[^1]) : ' ';
        var (digits, multiplier) = unit switch
        {
            'k' => (value[..^1], 1L << 10),
            'm' => (value[..^1], 1L << 20),
            'g' => (value[..^1], 1L << 30),
            _ => (value, 1L),
        };
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            throw new ArgumentException($"--max-file-size: '{Printable.Of(value)}' is not a size (bytes, or a whole number with k, m or g)");
        long bytes;
        try
        {
            bytes = checked(number * multiplier);
        }
        catch (OverflowException)
        {
            bytes = long.MaxValue;
        }
        if (bytes < 1 || bytes > MaxMaxFileSize)
            throw new ArgumentException($"--max-file-size: '{Printable.Of(value)}' is outside 1 byte .. 1g");
        return bytes;
    }

    /// <summary>An absolute http(s) URL without credentials, query or fragment; plain http only to a loopback address, so a token never crosses a network in clear.</summary>
    public static Uri ParseApi(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--api: '{Printable.Of(value)}' is not an http or https URL");
        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new ArgumentException("--api: the URL may not carry credentials, a query or a fragment");
        if (uri.Scheme == "http" && !uri.IsLoopback && !(IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)))
            throw new ArgumentException("--api: plain http is allowed to a loopback address only; use https");
        return new Uri(uri.AbsoluteUri.EndsWith('/') ? uri.AbsoluteUri : uri.AbsoluteUri + "/");
    }

    private static string ParseVariable(string value) =>
        value.Length is > 0 and <= 256 && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(value[0])
            ? value
            : throw new ArgumentException($"--token-env: '{Printable.Of(value)}' is not an environment variable name");
}
