using Governance.Projections;
using Governance.Projections.Audit;
using Governance.Projections.Hosting;
using Wolverine;
using ProxyAdapter;

var builder = WebApplication.CreateBuilder(args);
var settings = GovernanceSettings.From(builder.Configuration);

builder.Services.AddGovernanceStore(settings, builder.Configuration);
builder.Host.UseWolverine(opts => opts.ConfigureGovernanceMessaging());
var adapter = new AdapterIdentity(builder.Configuration["Proxy:AdapterId"] ?? Environment.MachineName);
builder.Services.AddSingleton(adapter);
builder.Services.AddHttpClient(Upstream.ClientName, client => client.Timeout = TimeSpan.FromSeconds(
    builder.Configuration.GetValue("Proxy:UpstreamTimeoutSeconds", 120)));

var app = builder.Build();

app.MapDatabaseHealth(settings.ConnectionString);
// Every event a proxied call appends is recorded as adapter:<id>, with the request's correlation id (docs/audit.md).
app.UseAuditActor(_ => adapter.Actor);
app.MapPost("/v1/chat/completions", ChatCompletions.Handle);

app.Run();
