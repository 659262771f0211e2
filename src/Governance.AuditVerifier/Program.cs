using System.Globalization;
using Governance.AuditVerifier;

// Usage: dotnet run --project src/Governance.AuditVerifier -- <export.ndjson> [--key <base64> | --key-file <path>]
//        [--after <sequence>] [--stream] [--expect <sequence>:<digest prefix>]
// Exit codes: 0 intact, 1 broken, 2 usage or I/O error.

const string Usage = """
    usage: Governance.AuditVerifier <export.ndjson> [options]
      --key <base64>                 the audit signing key (Audit__SigningKey), to verify checkpoint signatures
      --key-file <path>              the same, read from a file
      --after <sequence>             the export was taken with ?after=<sequence> (default: the whole history)
      --stream                       the export is one stream (GET /api/audit/streams/{id})
      --expect <sequence>:<digest>   a checkpoint you recorded earlier (at least 16 hex digits of its digest) must be present
    exit code: 0 intact, 1 broken, 2 usage or input error
    """;

string? path = null;
byte[]? key = null;
long? after = null;
var singleStream = false;
(long, string)? expected = null;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--key": key = Convert.FromBase64String(Next(ref i).Trim()); break;
            case "--key-file": key = Convert.FromBase64String(File.ReadAllText(Next(ref i)).Trim()); break;
            case "--after": after = long.Parse(Next(ref i), NumberStyles.None, CultureInfo.InvariantCulture); break;
            case "--stream": singleStream = true; break;
            case "--expect": expected = ParseExpected(Next(ref i)); break;
            case "-h" or "--help": Console.WriteLine(Usage); return 0;
            default:
                if (args[i].StartsWith("--", StringComparison.Ordinal) || path is not null)
                    throw new ArgumentException($"unexpected argument '{args[i]}'");
                path = args[i];
                break;
        }
    }
    if (path is null)
        throw new ArgumentException("no export file given");
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}

try
{
    using var export = path == "-" ? Console.In : new StreamReader(path);
    var report = ExportVerifier.Verify(export, new VerifierOptions(key, after, singleStream, expected));
    Console.WriteLine(report.Describe());
    return report.Intact ? 0 : 1;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: cannot read {path}: {e.Message}");
    return 2;
}

string Next(ref int i) => ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

static (long, string) ParseExpected(string value)
{
    var parts = value.Split(':');
    if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
        || parts[1].Length < 16 || !parts[1].All(Uri.IsHexDigit))
        throw new ArgumentException("--expect takes <sequence>:<at least 16 hex digits of the digest>");
    return (sequence, parts[1]);
}
