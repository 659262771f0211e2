using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using ProxyAdapter;

namespace Governance.Tests.Integration.Observability;

/// <summary>
/// What the console would print: every log line rendered by the console formatter the node's configuration chose
/// (<c>Logging:Format=json</c> → the JSON formatter, scopes included), into memory instead of stdout.
/// </summary>
public sealed class JsonLogCapture(IEnumerable<ConsoleFormatter> formatters, IOptions<ConsoleLoggerOptions> options) : ILoggerProvider, ISupportExternalScope
{
    private readonly ConsoleFormatter _formatter = formatters.Single(f => f.Name == options.Value.FormatterName);
    private readonly StringWriter _out = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public string FormatterName => _formatter.Name;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_out)
                return _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    /// <summary>A proxy node of the test deployment that logs JSON into a capture.</summary>
    public static async Task<(IAlbaHost Proxy, JsonLogCapture Logs)> StartProxy(GovernanceFixture fx)
    {
        JsonLogCapture? capture = null;
        var proxy = await fx.StartProxyAsync(Api.Unique("json-logs"), configure: web =>
        {
            web.UseSetting("Logging:Format", "json");
            web.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(sp => capture = new JsonLogCapture(
                sp.GetServices<ConsoleFormatter>(), sp.GetRequiredService<IOptions<ConsoleLoggerOptions>>())));
        });
        proxy.Services.GetRequiredService<ILoggerFactory>();
        return (proxy, capture ?? throw new InvalidOperationException("The capture was not created."));
    }

    private sealed class Logger(JsonLogCapture sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => sink._scopes.Push(state);
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (sink._out)
            {
                sink._formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), sink._scopes, sink._out);
                sink._out.Write('\n');
            }
        }
    }
}
