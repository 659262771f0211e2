using System.Globalization;

namespace Governance.Contracts;

/// <summary>
/// The version of the records in this project, as an adapter states it on every call to the API
/// (<see cref="Header"/>). The API speaks <see cref="Current"/> and <see cref="Previous"/>, so during a rolling upgrade
/// (API first, then adapters: docs/deployment.md) an adapter one version behind keeps working; any other version is
/// refused at its first call (400 <c>contract_version_unsupported</c>, naming the versions the API speaks).
/// </summary>
/// <remarks>
/// Version 1: the records before adapters stated a version; an adapter that sends no header speaks it. Version 2: the
/// same records, stated. Raise <see cref="Current"/> (and <see cref="Previous"/> to the old current) when a record
/// changes in a way an older side would misread.
/// </remarks>
public static class ContractVersion
{
    public const string Header = "X-Governance-Contract";
    public const int Current = 2;
    public const int Previous = 1;

    /// <summary>What an adapter that states no version speaks.</summary>
    public const int Unstated = 1;

    public static readonly IReadOnlyList<int> Spoken = [Previous, Current];

    /// <summary>The version a header value states: a plain decimal integer, or null (then the caller is refused).</summary>
    public static int? Parse(string? value)
    {
        if (value is null)
            return Unstated;
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
    }

    public static bool IsSpoken(string? value) => Parse(value) is { } version && Spoken.Contains(version);
}
