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

public sealed record RegisterProvider(string Name, string Kind, string BaseUrl, string ApiKey)
{
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
            RuleFor(x => x.ApiKey).NotEmpty().MaximumLength(4096);
        }
    }
}

/// <summary>A provider as operators see it: its API key is write-only.</summary>
public sealed record ProviderView(string Name, string Kind, string BaseUrl, DateTimeOffset RegisteredAt)
{
    public static ProviderView From(Provider p) => new(p.Id, p.Kind, p.BaseUrl, p.RegisteredAt);
}

public static class ProviderEndpoints
{
    [WolverinePost("/api/providers")]
    [Roles(OperatorRoles.Admin)]
    public static IResult Post(RegisterProvider command, IDocumentSession session, SecretProtector protector, ClaimsPrincipal user, TimeProvider clock)
    {
        var baseUrl = command.BaseUrl.TrimEnd('/');
        var registered = new ProviderRegistered(
            command.Name, command.Kind, baseUrl, protector.Protect(command.ApiKey, SecretBinding.Provider(command.Name, baseUrl)), user.Actor(), clock.GetUtcNow())
        {
            KeyFingerprint = SecretFingerprint.Of(command.ApiKey),
        };
        session.Events.StartStream<Provider>(command.Name, registered);
        return Results.Created($"/api/providers/{command.Name}", ProviderView.From(Provider.Evolve(null, registered)!));
    }

    [WolverineGet("/api/providers")]
    [Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner)]
    public static async Task<IReadOnlyList<ProviderView>> List(IQuerySession session, CancellationToken ct) =>
        (await session.Query<Provider>().OrderBy(p => p.Id).ToListAsync(ct)).Select(ProviderView.From).ToList();
}
