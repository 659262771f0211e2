using Governance.Scan.Cli;

// governance-scan: finds leaked virtual keys and provider keys. Usage: governance-scan --help; docs/leaks.md.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
try
{
    return await ScanCommand.RunAsync(args, Console.Out, Console.Error, ScanHost.Process, cancel.Token);
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("error: interrupted");
    return ScanCommand.Failed;
}
