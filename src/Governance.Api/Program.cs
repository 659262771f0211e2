using FluentValidation;
using Governance.Api;
using Governance.Api.Access;
using Governance.Api.Archive;
using Governance.Api.Audit;
using Governance.Api.Catalog;
using Governance.Api.Docs;
using Governance.Api.Infrastructure;
using Governance.Api.Leaks;
using Governance.Api.Operators;
using Governance.Api.Prices;
using Governance.Api.Ui;
using Governance.Hosting;
using Governance.Projections.Feed;
using Governance.Projections.Hosting;
using Governance.Store;
using JasperFx;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

var builder = WebApplication.CreateBuilder(args);
var settings = GovernanceSettings.From(builder.Configuration);

builder.Services.AddGovernanceStore(settings, builder.Configuration)
    // The async daemon builds the dashboards; HotCold keeps it running on exactly one API node at a time.
    .AddAsyncDaemon(DaemonMode.HotCold)
    // Migrate the whole schema at start-up (not lazily per table on first use), so a node is ready
    // when /health says so and proxy nodes never race to create tables.
    .ApplyAllDatabaseChangesOnStartup();

builder.Host.UseWolverine(opts =>
{
    opts.ConfigureGovernanceMessaging();
    opts.Discovery.IncludeAssembly(typeof(ApiMarker).Assembly);
});
builder.Services.AddWolverineHttp();
builder.Services.AddValidatorsFromAssemblyContaining<ApiMarker>(ServiceLifetime.Singleton, includeInternalTypes: true);
// What adapters send is read strictly: an unknown field is a 400, not silently dropped.

// Operator tokens that fail are counted per client address; past the limit, 429 before the token is looked up.
FailedAuthThrottle.AddFailedAuthThrottle(builder.Services, builder.Configuration);
builder.Services.AddAuthentication(OperatorAuthentication.SchemeName)
    .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, OperatorAuthentication>(OperatorAuthentication.SchemeName, null);
builder.Services.AddAuthorization();
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ExceptionMapping>();
builder.Services.AddOpenApi();
builder.Services.AddSingleton(new OperatorConsole(Console.Out));
// Who may report leaked keys (POST /api/leaks): the signing keys and secret of secret-scanning services (docs/leaks.md).
builder.Services.AddSingleton(LeakSignatures.From(builder.Configuration));
builder.Services.AddAttributedHostedService<BootstrapAdmin>(BootstrapAdmin.Actor);
builder.Services.AddAttributedHostedService<SeedCatalog>(SeedCatalog.Actor);
// Providers registered before key fingerprints existed get theirs once (docs/leaks.md).
builder.Services.AddAttributedHostedService<ProviderFingerprints>(ProviderFingerprints.Actor);
builder.Services.AddAuditTrail(builder.Configuration);
builder.Services.AddRequestArchive(builder.Configuration);
// Budget leases and the change feed for adapters (one feed listener per API node).
builder.Services.AddBooks(builder.Configuration);
builder.Services.AddLeasesAndFeed(builder.Configuration);
// /api/authorize's refusals of the key itself, counted per minute and appended by this node (docs/gateway.md).
builder.Services.AddRefusalCounting();
// Traces, /metrics, /health/live and /health/ready, JSON logs on request (docs/observability.md).
builder.Services.AddApiObservability(builder.Configuration);
builder.Logging.AddGovernanceLogFormat(builder.Configuration);

var app = builder.Build();

// The client address the throttle counts by: the connection's, or what a configured trusted proxy forwarded.
app.UseTrustedProxies(builder.Configuration);
app.UseRequestLogScope(http => http.TraceIdentifier);
app.UseExceptionHandler();
app.UseStatusCodePages();
// Adapters state the version of the wire records they speak; one this API does not speak is refused at once.
app.UseContractVersionCheck();
app.UseAuthentication();
app.UseAuthorization();
// Every event a request appends names the operator token and the request's correlation id (docs/audit.md).
app.UseOperatorAuditActor();

app.MapDatabaseHealth();
app.MapGovernanceHealth();
app.MapMetrics();
app.MapOpenApi().AllowAnonymous();
app.MapApiDocs();
// The operator dashboard: static files at /ui that call /api with the operator's token.
app.MapDashboard();
app.MapWolverineEndpoints(opts =>
{
    opts.RequireAuthorizeOnAll();
    // Every endpoint names its roles ([Roles(...)]); one that names none is admin-only.
    opts.AddPolicy<RoleGatePolicy>();
    opts.AddPolicy<ValidationPolicy>();
});

return await app.RunJasperFxCommands(args);
