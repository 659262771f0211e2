using System.Buffers;
using Governance.Hosting;
using Microsoft.AspNetCore.Http.Features;

namespace ProxyAdapter.Pipeline;

/// <summary>Step 2: the body, JSON by its media type (415 otherwise, unread) and within <see cref="GatewayOptions.MaxRequestBodyBytes"/>.</summary>
public sealed class BodyReader(GatewayOptions options)
{
    private const int PresizedBodyLimit = 1 << 20;

    public async Task<Step<RawRequest>> ReadAsync(Caller caller)
    {
        var http = caller.Http;
        var errors = caller.Surface.Errors;
        if (!JsonMediaType.IsJson(http.Request.ContentType))
            return new Refusal(errors.Result(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                $"Send the request body as application/json (got '{http.Request.ContentType}')."), BodyUnread: true);
        var (raw, refusal) = await ReadBodyAsync(http, errors, http.RequestAborted);
        return raw is null ? new Refusal(refusal!, BodyUnread: true) : new RawRequest(caller, raw);
    }

    /// <summary>
    /// The body, or the answer when it is larger than the limit: at once from its Content-Length, else (chunked) as soon
    /// as what has arrived passes the limit, so no more than the limit is ever held.
    /// </summary>
    private async Task<(byte[]? Body, IResult? Refusal)> ReadBodyAsync(HttpContext http, ErrorShape errors, CancellationToken ct)
    {
        var request = http.Request;
        var limit = options.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
            return (null, errors.TooLarge(limit));
        // Kestrel's own limit (30 MB by default) would otherwise answer first, in its own words.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limit;
        try
        {
            // With a Content-Length (what SDKs send) a small body is read straight into an array of its size: no growing
            // buffer, no second copy. A larger one grows with what actually arrives, not with what the header claims.
            if (request.ContentLength is { } length and <= PresizedBodyLimit)
            {
                var body = new byte[length];
                await request.Body.ReadExactlyAsync(body, ct);
                return (body, null);
            }
            using var buffer = new MemoryStream();
            var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                int read;
                while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
                {
                    if (buffer.Length + read > limit)
                        return (null, errors.TooLarge(limit));
                    buffer.Write(chunk, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
            return (buffer.ToArray(), null);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's verdict on the body: past its limit (413), cut short against its Content-Length (400), too slow (408).
            return (null, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? errors.TooLarge(limit)
                : errors.Result(e.StatusCode, "invalid_request", "The request body could not be read: " + e.Message));
        }
    }
}
