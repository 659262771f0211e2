using Governance.Hosting;
using Governance.Hosting.Audit;
using Governance.Hosting.Outbound;
using Governance.Hosting.Secrets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ProxyAdapter;
using ProxyAdapter.Governance;
using ProxyAdapter.Observability;
using ProxyAdapter.Pipeline;
using ProxyAdapter.Reporting;
using ProxyAdapter.Routing;
using ProxyAdapter.Surfaces;

var builder = WebApplication.CreateBuilder(args);

// No document store, no message runtime, no PostgreSQL connection: the adapter talks to the governance API only
// (docs/gateway.md, "What the proxy runs"). A ConnectionStrings__Governance left in its environment is ignored.
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddSingleton(MasterKeys.ProtectorFrom(builder.Configuration));
builder.Services.AddSingleton(LedgerOptions.From(builder.Configuration));
// Which provider addresses may be called (docs/gateway.md, "Provider addresses").
builder.Services.AddSingleton(OutboundPolicy.From(builder.Configuration));
var adapter = new AdapterIdentity(builder.Configuration["Proxy:AdapterId"] ?? Environment.MachineName);
builder.Services.AddSingleton(adapter);
builder.Services.AddSingleton(GatewayOptions.From(builder.Configuration));
builder.Services.TryAddSingleton(RouteRandom.Shared);
builder.Services.AddSingleton<DeploymentHealth>();
// What this adapter measured of deployments and provider accounts, for the routing strategies (docs/routing.md).
builder.Services.AddSingleton<RouteSignals>();
builder.Services.AddGovernanceApiClient(GovernanceApiOptions.From(builder.Configuration));
// Decides from memory: the change feed's copy and budget leases (docs/gateway.md, "Deciding from memory").
builder.Services.AddLeaseGovernor(builder.Configuration);
builder.Services.AddSingleton<BodyReader>();
builder.Services.AddSingleton<RequestParser>();
builder.Services.AddSingleton<Admitter>();
builder.Services.AddSingleton<RateLimitStage>();
builder.Services.AddSingleton<HoldStage>();
builder.Services.AddSingleton<Gateway>();
// Step 1 of every call: the address's failed-key throttle and the key, from the headers, before the body is read;
// refusals decided there are counted per minute, not recorded one by one (docs/gateway.md, "Refusals from the headers").
FailedAuthThrottle.AddFailedAuthThrottle(builder.Services, builder.Configuration);
builder.Services.AddSingleton(new RefusalTally(adapter.Id));
builder.Services.AddSingleton<KeyGate>();
// Completed and refused requests go to a local journal first, then to the governance API in batches (docs/gateway.md).
builder.Services.AddUsageReporting(builder.Configuration, adapter);
builder.Services.AddHostedService<RefusalShipping>();
// Per-key requests/min, tokens/min and parallel limits, in memory (docs/gateway.md, "Rate limits").
builder.Services.AddSingleton(ProxyAdapter.Limits.KeyRateLimiter.FromConfiguration(builder.Configuration));
// ...shared by every adapter of the key: parts of each 5 s slot's allowance leased from the governance API.
builder.Services.AddSingleton(sp => ProxyAdapter.Limits.FleetRateLimiter.From(sp, builder.Configuration));
builder.Services.AddHostedService<ProxyAdapter.Limits.FleetRateRenewal>();
// Deadlines are per attempt (GatewayOptions.UpstreamTimeout, until the response headers): a stream may run as long as it runs.
builder.Services.AddHttpClient(Upstream.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
    .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundPolicy>().Guard(Upstream.CreateHandler()))
    // The handler (and its connection pool) lives as long as the process; SocketsHttpHandler recycles connections itself.
    .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
    // The factory's default loggers write four Information lines per call; the gateway logs what matters (failures).
    .RemoveAllLoggers();
// Traces, /metrics, /health/live and /health/ready, JSON logs on request (docs/observability.md).
builder.Services.AddProxyObservability(builder.Configuration);
builder.Services.AddHostedService<AdapterGauges>();
builder.Logging.AddGovernanceLogFormat(builder.Configuration);
// /metrics on a listener of its own, loopback by default, never on the public port (docs/observability.md).
var management = ManagementEndpoint.From(builder.Configuration);
management.Listen(builder.WebHost, builder.Configuration);

var app = builder.Build();

// The client address the throttle counts by: the connection's, or what a configured trusted proxy forwarded.
app.UseTrustedProxies(builder.Configuration);
app.UseRequestIds();
app.UseRequestLogScope(RequestIds.Of);
app.MapGovernanceHealth();
app.MapProxyHealth();
app.MapMetrics(http => management.Accepted(http.Connection));
// The request's correlation id (echoed in x-correlation-id) goes with the lease calls it makes, so the events the API
// appends for them carry it (docs/audit.md). Nothing here touches a store: AuditContext is an AsyncLocal.
app.UseAuditActor(_ => adapter.Actor);
app.MapPost("/v1/chat/completions", (HttpContext http, Gateway gateway) => gateway.HandleAsync(http, ChatCompletionsSurface.Instance));
app.MapPost("/v1/embeddings", (HttpContext http, Gateway gateway) => gateway.HandleAsync(http, EmbeddingsSurface.Instance));
app.MapPost("/v1/messages", (HttpContext http, Gateway gateway) => gateway.HandleAsync(http, AnthropicMessagesSurface.Instance));
app.MapGet("/v1/models", Models.List);
// Catch-all: model names may contain slashes (e.g. "meta-llama/Llama-3.1-8B").
app.MapGet("/v1/models/{**id}", Models.Get);

app.Run();
