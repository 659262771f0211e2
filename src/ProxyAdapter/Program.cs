using Governance.Projections;
using Governance.Projections.Hosting;
using Marten;
using ProxyAdapter;

var builder = WebApplication.CreateBuilder(args);
var settings = GovernanceSettings.From(builder.Configuration);

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(new SecretProtector(settings.MasterKey));
builder.Services.AddSingleton(new AdapterIdentity(builder.Configuration["Proxy:AdapterId"] ?? Environment.MachineName));
builder.Services.AddMarten(opts => opts.ConfigureGovernance(settings.ConnectionString, settings.Schema)).UseLightweightSessions();
builder.Services.AddHttpClient(Upstream.ClientName, client => client.Timeout = TimeSpan.FromSeconds(
    builder.Configuration.GetValue("Proxy:UpstreamTimeoutSeconds", 120)));

var app = builder.Build();

app.MapDatabaseHealth(settings.ConnectionString);
app.MapPost("/v1/chat/completions", ChatCompletions.Handle);

app.Run();
