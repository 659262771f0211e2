using Governance.Hosting.Secrets;
using JasperFx;
using JasperFx.CommandLine;
using JasperFx.Events;
using Marten;
using Marten.Exceptions;

namespace Governance.Api.Admin;

/// <summary>
/// <c>dotnet run --project src/Governance.Api -- rotate-master-key</c>, with the API's configuration, GOVERNANCE_MASTER_KEY
/// set to the new master key and GOVERNANCE_PREVIOUS_MASTER_KEY to the one in use until now: appends an event per provider
/// key and webhook secret re-encrypted under the new key (<see cref="MasterKeyRotation"/>). The steps around it (which
/// nodes get which key when) are in docs/deployment.md, "Rotating the master key". Exit code 0 when everything is under
/// the new key.
/// </summary>
[Description("Re-encrypt every provider key and webhook secret under GOVERNANCE_MASTER_KEY (the old key in GOVERNANCE_PREVIOUS_MASTER_KEY)", Name = "rotate-master-key")]
public sealed class RotateMasterKeyCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        var protector = host.Services.GetRequiredService<SecretProtector>();
        if (protector.PreviousKeyId is not { } previous || previous == protector.CurrentKeyId)
        {
            Console.Error.WriteLine(
                "Set GOVERNANCE_PREVIOUS_MASTER_KEY to the master key in use until now and GOVERNANCE_MASTER_KEY to a new one (base64 of 32 random bytes).");
            return false;
        }

        var store = host.Services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        MasterKeyRotationReport report;
        try
        {
            report = await MasterKeyRotation.RunAsync(store, protector, host.Services.GetRequiredService<TimeProvider>().GetUtcNow(), CancellationToken.None);
        }
        catch (Exception e) when (e is ConcurrencyException or EventStreamUnexpectedMaxEventIdException)
        {
            Console.Error.WriteLine("A provider or webhook changed while the rotation ran; nothing was written. Run it again.");
            return false;
        }

        Console.WriteLine($"Re-encrypted {report.Providers.Count} provider keys and {report.Webhooks.Count} webhook secrets under master key "
            + $"{protector.CurrentKeyId} (previous key {previous}).");
        foreach (var failure in report.Failures)
            Console.Error.WriteLine("Not re-encrypted: " + failure);
        return report.Failures.Count == 0;
    }
}
