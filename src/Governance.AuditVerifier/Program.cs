using System.Globalization;
using System.Security.Cryptography;
using Governance.AuditVerifier;

// Usage: dotnet run --project src/Governance.AuditVerifier -- <export.ndjson> [--key-file <public key PEM>]...
//        [--legacy-hmac-key-file <path>] [--witness <dir>] [--after <sequence>] [--stream] [--expect <sequence>:<digest prefix>]
// Exit codes: 0 intact, 1 broken, 2 usage or I/O error.

const string Usage = """
    usage: Governance.AuditVerifier <export.ndjson> [options]
      --key-file <path>              the audit public key (PEM, "BEGIN PUBLIC KEY"), to verify checkpoint signatures; repeat it
                                     for each key the history was signed with
      --key <base64>                 the same, as base64 of the key's DER form (the PEM's body on one line)
      --legacy-hmac-key-file <path>  the old shared HMAC key (base64), for checkpoints signed before ECDSA
      --legacy-hmac-key <base64>     the same, inline
      --witness <dir>                a witness directory (Audit__WitnessDirectory): its newest checkpoint must be in the export
      --after <sequence>             the export was taken with ?after=<sequence> (default: the whole history)
      --stream                       the export is one stream (GET /api/audit/streams/{id})
      --expect <sequence>:<digest>   a checkpoint you recorded earlier (at least 16 hex digits of its digest) must be present
      --archive <dir>                the archive directory (Archive__Directory): the segments the export's archive events name are
                                     verified with it as one history (needs an export file, not standard input)
    exit code: 0 intact, 1 broken, 2 usage or input error
    """;

string? path = null;
var publicKeys = new List<ECDsa>();
byte[]? legacyKey = null;
string? witnessDirectory = null;
string? archiveDirectory = null;
long? after = null;
var singleStream = false;
(long, string)? expected = null;
Checkpoint? witnessed = null;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--key": publicKeys.Add(CheckpointKeys.ParsePublicKey(Next(ref i))); break;
            case "--key-file": publicKeys.Add(CheckpointKeys.ParsePublicKey(File.ReadAllText(Next(ref i)))); break;
            case "--legacy-hmac-key": legacyKey = LegacyKey(Next(ref i)); break;
            case "--legacy-hmac-key-file": legacyKey = LegacyKey(File.ReadAllText(Next(ref i))); break;
            case "--witness": witnessDirectory = Next(ref i); break;
            case "--archive": archiveDirectory = Next(ref i); break;
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
    if (witnessDirectory is not null)
    {
        // A checkpoint before the export's start, or outside one stream, cannot be looked for in it.
        if (after is not null || singleStream)
            throw new ArgumentException("--witness needs an export of the whole history (not --after or --stream)");
        witnessed = Witness.Newest(witnessDirectory);
    }
    if (archiveDirectory is not null && (path == "-" || after is not null || singleStream))
        throw new ArgumentException("--archive needs an export file of the whole history (not standard input, --after or --stream)");
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}

try
{
    // Archived events come before the archive events that record them: read those first.
    IReadOnlyList<SegmentRecord> segments = [];
    if (path != "-" && after is null && !singleStream)
    {
        using var scan = new StreamReader(path);
        segments = Archive.Records(scan);
    }
    if (segments.Any(s => s.State != SegmentState.Restored) && archiveDirectory is null)
    {
        Console.Error.WriteLine($"error: this history has {segments.Count} archived segment(s) (the first: {segments[0].Name}); " +
            "pass --archive <directory> with the archive directory");
        return 2;
    }
    var options = new VerifierOptions(null, after, singleStream, expected, witnessed);
    var keys = publicKeys.Count > 0 || legacyKey is not null ? new CheckpointKeys(publicKeys, legacyKey) : null;
    options = options with { Keys = keys };
    if (archiveDirectory is not null && Archive.CheckFiles(segments, archiveDirectory) is { } badSegment)
    {
        Console.WriteLine(badSegment);
        return 1;
    }
    using var export = path == "-" ? Console.In : new StreamReader(path);
    var report = ExportVerifier.Verify(export, options, archiveDirectory is null ? null : Archive.Rows(segments, archiveDirectory));
    Console.WriteLine(report.Describe());
    if (archiveDirectory is not null && report.Intact)
        Console.WriteLine($"{segments.Count(s => s.State == SegmentState.Archived)} archived and {segments.Count(s => s.State == SegmentState.Deleted)} deleted " +
            $"segment(s) in {archiveDirectory} verified with the export as one history.");
    return report.Intact ? 0 : 1;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: cannot read {path}: {e.Message}");
    return 2;
}

string Next(ref int i) => ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

static byte[] LegacyKey(string text)
{
    var key = Convert.FromBase64String(text.Trim());
    return key.Length >= 32 ? key : throw new ArgumentException("the legacy HMAC key is base64 of at least 32 bytes");
}

static (long, string) ParseExpected(string value)
{
    var parts = value.Split(':');
    if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
        || parts[1].Length < 16 || !parts[1].All(Uri.IsHexDigit))
        throw new ArgumentException("--expect takes <sequence>:<at least 16 hex digits of the digest>");
    return (sequence, parts[1]);
}
