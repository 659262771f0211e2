using Governance.Projections;
using Governance.Projections.Audit;
using Governance.Projections.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ProxyAdapter;
using ProxyAdapter.Governance;
using ProxyAdapter.Routing;
using ProxyAdapter.Surfaces;
using Wolverine;

var builder = WebApplication.CreateBuilder(args);
var settings = GovernanceSettings.From(builder.Configuration);

builder.Services.AddGovernanceStore(settings, builder.Configuration);
builder.Host.UseWolverine(opts => opts.ConfigureGovernanceMessaging());
var adapter = new AdapterIdentity(builder.Configuration["Proxy:AdapterId"] ?? Environment.MachineName);
builder.Services.AddSingleton(adapter);
builder.Services.AddSingleton(GatewayOptions.From(builder.Configuration));
builder.Services.TryAddSingleton(RouteRandom.Shared);
builder.Services.AddSingleton<DeploymentHealth>();
builder.Services.AddGovernanceApiClient(GovernanceApiOptions.From(builder.Configuration));
// Decides from memory: the change feed's copy and budget leases (docs/gateway.md, "Deciding from memory").
builder.Services.AddLeaseGovernor(builder.Configuration);
builder.Services.AddSingleton<Gateway>();
// Deadlines are per attempt (GatewayOptions.UpstreamTimeout, until the response headers): a stream may run as long as it runs.
builder.Services.AddHttpClient(Upstream.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);

var app = builder.Build();

app.UseRequestIds();
app.MapDatabaseHealth(settings.ConnectionString);
// Every event a proxied call appends is recorded as adapter:<id>, with the request's correlation id (docs/audit.md).
app.UseAuditActor(_ => adapter.Actor);
app.MapPost("/v1/chat/completions", (HttpContext http, Gateway gateway) => gateway.HandleAsync(http, ChatCompletionsSurface.Instance));
app.MapPost("/v1/embeddings", (HttpContext http, Gateway gateway) => gateway.HandleAsync(http, EmbeddingsSurface.Instance));
app.MapPost("/v1/messages", (HttpContext http, Gateway gateway) => gateway.HandleAsync(http, AnthropicMessagesSurface.Instance));
app.MapGet("/v1/models", Models.List);
// Catch-all: model names may contain slashes (e.g. "meta-llama/Llama-3.1-8B").
app.MapGet("/v1/models/{**id}", Models.Get);

app.Run();
