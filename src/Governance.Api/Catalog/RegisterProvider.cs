using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Governance.Domain.Secrets;
using Governance.Domain.Usage;
using Governance.Hosting.Outbound;
using Governance.Hosting.Secrets;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Catalog;

/// <summary>
/// A provider to forward to. Key-based kinds take <see cref="ApiKey"/>; <c>bedrock</c> takes <see cref="Aws"/> (an access
/// key pair, optionally a session token) and <see cref="Region"/>; <c>azure-openai</c> may take <see cref="ApiVersion"/>
/// (absent: Azure's v1 API). Each kind's fields are checked (<see cref="ProviderFields"/>).
/// </summary>
public sealed record RegisterProvider(
    string Name, string Kind, string BaseUrl, string? ApiKey = null, string? ApiVersion = null, string? Region = null, AwsKeysInput? Aws = null)
{
    /// <summary>The one secret stored (encrypted) for this provider.</summary>
    public string Secret() => ProviderFields.Secret(Kind, ApiKey, Aws);

    public ProviderSettings? Settings() => ApiVersion is null && Region is null ? null : new ProviderSettings(ApiVersion, Region);

    public sealed class Validator : AbstractValidator<RegisterProvider>
    {
        public Validator(OutboundPolicy outbound)
        {
            RuleFor(x => x.Name).NotEmpty().MaximumLength(100).Matches("^[a-z0-9][a-z0-9._-]*$")
                .WithMessage("'name' must be lower-case letters, digits, '.', '_' or '-'.");
            RuleFor(x => x.Name).Must(n => !RequestIds.IsReserved(n))
                .WithMessage($"'name' may not start with '{RequestIds.Prefix}': that prefix is the request ids' namespace.");
            RuleFor(x => x.Kind).Must(k => ProviderKinds.All.Contains(k))
                .WithMessage($"'kind' must be one of: {string.Join(", ", ProviderKinds.All)}.");
            // The gateway will send the API key there: no metadata or link-local address, private ones only if allowed.
            RuleFor(x => x.BaseUrl).CustomAsync(async (url, context, ct) =>
            {
                if (await outbound.UrlRefusalAsync(url, ct) is { } refused)
                    context.AddFailure(nameof(BaseUrl), $"'baseUrl' {refused}.");
            });
            RuleFor(x => x.Kind).Custom((_, context) =>
            {
                var command = context.InstanceToValidate;
                foreach (var (field, message) in ProviderFields.Problems(command.Kind, command.BaseUrl, command.ApiKey, command.ApiVersion, command.Region, command.Aws))
                    context.AddFailure(field, message);
            });
        }
    }
}

/// <summary>A provider as operators see it: its API key is write-only.</summary>
public sealed record ProviderView(string Name, string Kind, string BaseUrl, DateTimeOffset RegisteredAt)
{
    public string? ApiVersion { get; init; }
    public string? Region { get; init; }

    public static ProviderView From(Provider p) => new(p.Id, p.Kind, p.BaseUrl, p.RegisteredAt)
    {
        ApiVersion = p.Settings.ApiVersion, Region = p.Settings.Region,
    };
}

public static class ProviderEndpoints
{
    [WolverinePost("/api/providers")]
    [Roles(OperatorRoles.Admin)]
    public static IResult Post(RegisterProvider command, IDocumentSession session, SecretProtector protector, ClaimsPrincipal user, TimeProvider clock)
    {
        var baseUrl = command.BaseUrl.TrimEnd('/');
        var secret = command.Secret();
        var (fingerprint, idFingerprint) = ProviderSecret.Fingerprints(command.Kind, secret);
        var registered = new ProviderRegistered(
            command.Name, command.Kind, baseUrl, protector.Protect(secret, SecretBinding.Provider(command.Name, baseUrl)), user.Actor(), clock.GetUtcNow())
        {
            KeyFingerprint = fingerprint, KeyIdFingerprint = idFingerprint, Settings = command.Settings(),
        };
        session.Events.StartStream<Provider>(command.Name, registered);
        return Results.Created($"/api/providers/{command.Name}", ProviderView.From(Provider.Evolve(null, registered)!));
    }

    [WolverineGet("/api/providers")]
    [Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner)]
    public static async Task<IReadOnlyList<ProviderView>> List(IQuerySession session, CancellationToken ct) =>
        (await session.Query<Provider>().OrderBy(p => p.Id).ToListAsync(ct)).Select(ProviderView.From).ToList();
}
