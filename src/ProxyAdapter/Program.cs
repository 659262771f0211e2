using Governance.Projections;
using Governance.Projections.Hosting;
using Wolverine;
using ProxyAdapter;

var builder = WebApplication.CreateBuilder(args);
var settings = GovernanceSettings.From(builder.Configuration);

builder.Services.AddGovernanceStore(settings, builder.Configuration);
builder.Host.UseWolverine(opts => opts.ConfigureGovernanceMessaging());
builder.Services.AddSingleton(new AdapterIdentity(builder.Configuration["Proxy:AdapterId"] ?? Environment.MachineName));
builder.Services.AddHttpClient(Upstream.ClientName, client => client.Timeout = TimeSpan.FromSeconds(
    builder.Configuration.GetValue("Proxy:UpstreamTimeoutSeconds", 120)));

var app = builder.Build();

app.MapDatabaseHealth(settings.ConnectionString);
app.MapPost("/v1/chat/completions", ChatCompletions.Handle);

app.Run();
