using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// A provider whose streams break, written at the TCP level so the break is exact: it answers 200 with a chunked event
/// stream, sends some bytes, and closes the connection without the final chunk. (Aborting a Kestrel response instead
/// may drop bytes it had not yet written to the socket, which makes "how much reached the proxy" a race.)
/// Upstream model <c>break-early…</c> sends half an event; any other sends <see cref="CompleteEvents"/> whole content events.
/// </summary>
public sealed class BrokenStreams : IAsyncDisposable
{
    public const int CompleteEvents = 3;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task? _accepting;

    public string BaseUrl { get; private set; } = "";
    public int Calls;

    public void Start()
    {
        _listener.Start();
        BaseUrl = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/v1";
        _accepting = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(() => ServeAsync(client));
            }
        });
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var model = await ReadModelAsync(stream);
            Interlocked.Increment(ref Calls);
            var events = model.StartsWith("break-early")
                ? "data: {\"id\":\"chatcmpl-fake\",\"choi"
                : string.Concat(Enumerable.Range(0, CompleteEvents).Select(i =>
                    $"data: {{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"part{i} \"}}}}]}}\n\n"));
            var payload = Encoding.UTF8.GetBytes(events);
            var head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + $"{payload.Length:x}\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(payload);
            await stream.WriteAsync("\r\n"u8.ToArray());
            await stream.FlushAsync();
            // A graceful close: every byte above is delivered, then the end of the stream, without the terminating chunk.
            client.Client.Shutdown(SocketShutdown.Send);
        }
    }

    /// <summary>Reads the whole request (so closing does not reset the connection) and returns its model.</summary>
    private static async Task<string> ReadModelAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOf(buffer, "\r\n\r\n"u8.ToArray())) < 0)
            buffer.AddRange(chunk.AsSpan(0, await stream.ReadAsync(chunk)).ToArray());
        var headers = Encoding.ASCII.GetString(buffer.ToArray(), 0, headerEnd);
        var length = int.Parse(headers.Split("\r\n").First(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))["Content-Length:".Length..].Trim());
        while (buffer.Count < headerEnd + 4 + length)
            buffer.AddRange(chunk.AsSpan(0, await stream.ReadAsync(chunk)).ToArray());
        var body = JsonNode.Parse(Encoding.UTF8.GetString(buffer.ToArray(), headerEnd + 4, length))!;
        return body["model"]!.GetValue<string>();
    }

    private static int IndexOf(List<byte> haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Count; i++)
            if (needle.Select((b, j) => haystack[i + j] == b).All(x => x))
                return i;
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_accepting is not null)
            await _accepting.ContinueWith(_ => { });
        _stop.Dispose();
    }
}
