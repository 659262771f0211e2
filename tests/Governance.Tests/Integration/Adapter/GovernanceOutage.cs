namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// Cuts one adapter off the governance API: while <see cref="Down"/>, every call fails as a refused connection would,
/// and open responses (the change feed) break off.
/// </summary>
public sealed class GovernanceOutage
{
    private CancellationTokenSource _cut = new();

    public bool Down { get; private set; }

    public void Start()
    {
        Down = true;
        _cut.Cancel();
    }

    public void End()
    {
        _cut = new CancellationTokenSource();
        Down = false;
    }

    public HttpMessageHandler Wrap(HttpMessageHandler inner) => new Handler(this) { InnerHandler = inner };

    private sealed class Handler(GovernanceOutage outage) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (outage.Down)
                throw new HttpRequestException("Connection refused (simulated outage).");
            var cut = outage._cut.Token;
            var response = await base.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var content = new StreamContent(new CutStream(body, cut));
            foreach (var header in response.Content.Headers)
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            response.Content = content;
            return response;
        }
    }

    private sealed class CutStream(Stream inner, CancellationToken cut) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, cut);
            try
            {
                return await inner.ReadAsync(buffer, linked.Token);
            }
            catch (OperationCanceledException) when (cut.IsCancellationRequested)
            {
                throw new IOException("Connection reset (simulated outage).");
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
