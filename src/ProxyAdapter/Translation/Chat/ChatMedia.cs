using System.Buffers.Text;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Translation.Chat;

/// <summary>
/// Image, audio and file parts of a chat message. Inline data is a base64 data URL (<c>data:image/png;base64,…</c>), checked
/// to be base64 without decoding it; an image may also be an http(s) URL, which only providers that fetch URLs themselves
/// receive: the gateway never fetches one (that would let a caller make it call any address).
/// </summary>
internal static class ChatMedia
{
    public static readonly IReadOnlySet<string> ImageTypes = new HashSet<string> { "image/png", "image/jpeg", "image/gif", "image/webp" };

    public static InvalidParam? Image(JsonObject part, string at, List<Part> parts)
    {
        if (part["image_url"] is not JsonObject image)
            return BodyFields.Expected(at + ".image_url", "an object", part["image_url"]);
        if (JsonFields.RequiredString(image["url"], at + ".image_url.url", out var url) is { } invalid)
            return invalid;
        // detail changes what OpenAI bills and sees; no other provider has it, so only its default passes.
        if (JsonFields.String(image["detail"], at + ".image_url.detail", out var detail) is { } invalidDetail)
            return invalidDetail;
        if (detail is not (null or "auto"))
            return new InvalidParam(at + ".image_url.detail", Refusals.UnsupportedValueCode,
                $"Unsupported value: '{at}.image_url.detail' must be 'auto' (or left out) when the model is not served by OpenAI.");
        if (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            parts.Add(new MediaPart(MediaKind.Image, "", null, url, null, at));
            return null;
        }
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
            return Refusals.Invalid(at + ".image_url.url", "expected an http(s) URL or a base64 data URL (data:<media type>;base64,<data>)");
        if (DataUrl(url, at + ".image_url.url", out var mediaType, out var data) is { } invalidData)
            return invalidData;
        if (!ImageTypes.Contains(mediaType))
            return Refusals.Invalid(at + ".image_url.url", $"images must be PNG, JPEG, GIF or WebP, not '{mediaType}'");
        parts.Add(new MediaPart(MediaKind.Image, mediaType, data, null, null, at));
        return null;
    }

    public static InvalidParam? Audio(JsonObject part, string at, List<Part> parts)
    {
        if (part["input_audio"] is not JsonObject audio)
            return BodyFields.Expected(at + ".input_audio", "an object", part["input_audio"]);
        if (JsonFields.RequiredString(audio["data"], at + ".input_audio.data", out var data) is { } invalid)
            return invalid;
        if (JsonFields.RequiredString(audio["format"], at + ".input_audio.format", out var format) is { } invalidFormat)
            return invalidFormat;
        if (format is not ("wav" or "mp3"))
            return Refusals.Invalid(at + ".input_audio.format", "expected 'wav' or 'mp3'");
        if (!Base64.IsValid(data))
            return Refusals.Invalid(at + ".input_audio.data", "expected base64");
        parts.Add(new MediaPart(MediaKind.Audio, "audio/" + format, data, null, null, at));
        return null;
    }

    /// <summary>A file part: inline <c>file_data</c> (a PDF data URL) only; a <c>file_id</c> lives in OpenAI's storage.</summary>
    public static InvalidParam? File(JsonObject part, string at, List<Part> parts)
    {
        if (part["file"] is not JsonObject file)
            return BodyFields.Expected(at + ".file", "an object", part["file"]);
        if (file["file_id"] is not null)
            return new InvalidParam(at + ".file.file_id", Refusals.UnsupportedParameter,
                $"Unsupported parameter: '{at}.file.file_id' names a file in OpenAI's storage; send the file inline as 'file_data'.");
        if (JsonFields.RequiredString(file["file_data"], at + ".file.file_data", out var url) is { } invalid)
            return invalid;
        if (JsonFields.String(file["filename"], at + ".file.filename", out var filename) is { } invalidName)
            return invalidName;
        if (DataUrl(url, at + ".file.file_data", out var mediaType, out var data) is { } invalidData)
            return invalidData;
        if (mediaType != "application/pdf")
            return Refusals.Invalid(at + ".file.file_data", $"only PDF files are translated, not '{mediaType}'");
        parts.Add(new MediaPart(MediaKind.Document, mediaType, data, null, filename, at));
        return null;
    }

    /// <summary><c>data:{type};base64,{data}</c>, the type lower-cased.</summary>
    public static InvalidParam? DataUrl(string url, string param, out string mediaType, out string data)
    {
        mediaType = data = "";
        const string Marker = ";base64,";
        var comma = url.IndexOf(Marker, StringComparison.Ordinal);
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) || comma < 5)
            return Refusals.Invalid(param, "expected a base64 data URL (data:<media type>;base64,<data>)");
        mediaType = url[5..comma].ToLowerInvariant();
        data = url[(comma + Marker.Length)..];
        return data.Length > 0 && Base64.IsValid(data) ? null : Refusals.Invalid(param, "the data URL's data is not base64");
    }
}
