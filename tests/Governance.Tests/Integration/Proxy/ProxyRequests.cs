using System.Net;
using System.Text;
using System.Text.Json;
using Alba;
using Microsoft.AspNetCore.Http;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// A request body that says how much of it the server read, produced on demand (a 10 MB body costs no 10 MB here), and
/// optionally never ends: after its bytes it waits until the request is given up.
/// </summary>
public sealed class WatchedBody(byte[] head, long length, bool endless = false) : Stream
{
    private long _position;

    public WatchedBody(string json) : this(Encoding.UTF8.GetBytes(json), Encoding.UTF8.GetByteCount(json))
    {
    }

    /// <summary>Bytes the server has read so far.</summary>
    public long BytesRead => Interlocked.Read(ref _position);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= length)
        {
            if (endless)
                await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
        var count = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < count; i++)
            buffer.Span[i] = _position + i < head.Length ? head[_position + i] : (byte)' ';
        Interlocked.Add(ref _position, count);
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>What came back from a request sent straight into a proxy host.</summary>
public sealed record ProxyAnswer(int Status, IHeaderDictionary Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>OpenAI's <c>error.code</c>, or Anthropic's <c>error.code</c> (both shapes nest it under <c>error</c>).</summary>
    public string? Code => Json.GetProperty("error").GetProperty("code").GetString();
}

public static class ProxyRequests
{
    /// <summary>
    /// POSTs <paramref name="body"/> to <paramref name="path"/> of <paramref name="proxy"/> as a client at
    /// <paramref name="from"/> would (null: no address, as the in-memory transport), with its Content-Length unless
    /// <paramref name="chunked"/>. Gives up after 20 s, so a server that waits for a body that never ends fails the test.
    /// </summary>
    public static async Task<ProxyAnswer> Send(
        this IAlbaHost proxy, string path, WatchedBody body, Action<HttpRequest> headers, long? contentLength, IPAddress? from = null)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var context = await proxy.Server.SendAsync(c =>
        {
            c.Request.Method = "POST";
            c.Request.Path = path;
            c.Request.ContentType = "application/json";
            c.Request.ContentLength = contentLength;
            c.Request.Body = body;
            c.Connection.RemoteIpAddress = from;
            headers(c.Request);
        }, patience.Token);
        return new ProxyAnswer(context.Response.StatusCode, context.Response.Headers, await new StreamReader(context.Response.Body).ReadToEndAsync());
    }

    public static Action<HttpRequest> Bearer(string key) => request => request.Headers.Authorization = "Bearer " + key;

    public static Task<ProxyAnswer> Chat(this IAlbaHost proxy, string key, string json, IPAddress? from = null) =>
        proxy.Send("/v1/chat/completions", new WatchedBody(json), Bearer(key), Encoding.UTF8.GetByteCount(json), from);
}
