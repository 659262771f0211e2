using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ProxyAdapter.Translation;
using TranslationBenchmark;

// The CPU one thread spends translating, per request (request + answer) and per stream unit, for each provider kind.
// Single-threaded and allocation-counted; median of --repeats runs of --iterations operations each.
//   dotnet run -c Release --project tests/Benchmarks/TranslationBenchmark -- --bench [--iterations 20000] [--repeats 5]
if (!args.Contains("--bench"))
{
    Console.Error.WriteLine("usage: TranslationBenchmark --bench [--iterations N] [--repeats R]");
    return 2;
}
var iterations = Option("--iterations", 20_000);
var repeats = Option("--repeats", 5);
var stamp = new AnswerStamp("bench", "client-model", 1_700_000_000);

Console.WriteLine($"| pair | parse body (baseline) µs | request µs | answer µs | stream unit µs | stream units | request+answer alloc KB |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var (plain, streamed) in Case.All(stream: false).Zip(Case.All(stream: true)))
{
    var parse = Measure(() => JsonNode.Parse(plain.Request));
    var request = Measure(() =>
    {
        Translator.Request(plain.Api, JsonNode.Parse(plain.Request)!.AsObject(), plain.Target, out var call);
        return call.Body.ToJsonString();
    });
    Translator.Request(plain.Api, JsonNode.Parse(plain.Request)!.AsObject(), plain.Target, out var plainCall);
    var answer = Measure(() => Translator.Response(plainCall, plain.Answer, stamp));
    Translator.Request(streamed.Api, JsonNode.Parse(streamed.Request)!.AsObject(), streamed.Target, out var streamCall);
    var output = new ArrayBufferWriter<byte>(64 * 1024);
    var stream = Measure(() =>
    {
        output.ResetWrittenCount();
        var translator = Translator.Stream(streamCall, stamp);
        foreach (var unit in streamed.Stream)
            translator.Feed(unit, output);
        translator.Complete(output);
        return translator;
    }, Math.Max(1, iterations / streamed.Stream.Count * 4));
    var perUnit = stream.Micros / streamed.Stream.Count;
    // A passthrough answer and stream are relayed as today: the translator is never called for them.
    Console.WriteLine(plainCall.Passthrough
        ? string.Create(CultureInfo.InvariantCulture, $"| {plain.Name} | {parse.Micros:0.0} | {request.Micros - parse.Micros:0.0} | — | — | — | {request.Bytes / 1024.0:0.0} |")
        : string.Create(CultureInfo.InvariantCulture,
            $"| {plain.Name} | {parse.Micros:0.0} | {request.Micros - parse.Micros:0.0} | {answer.Micros:0.0} | {perUnit:0.00} | {streamed.Stream.Count} | {(request.Bytes + answer.Bytes) / 1024.0:0.0} |"));
}
return 0;

(double Micros, double Bytes) Measure<T>(Func<T> operation, int? count = null)
{
    var n = count ?? iterations;
    for (var i = 0; i < Math.Min(n, 5000); i++)
        operation();
    var runs = new List<(double, double)>();
    for (var r = 0; r < repeats; r++)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
            operation();
        clock.Stop();
        runs.Add((clock.Elapsed.TotalMicroseconds / n, (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)n));
    }
    return runs.OrderBy(r => r.Item1).ElementAt(runs.Count / 2);
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
