using System.Text.Json;

namespace ProxyAdapter.Translation;

/// <summary>Small, forgiving reads of provider JSON: a missing or mistyped field is "absent", never an exception.</summary>
internal static class Decoding
{
    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static long Count(JsonElement element, string name) => element.ValueKind == JsonValueKind.Object ? Usage.Count(element, name) : 0;

    public static bool TryObject(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out value) && value.ValueKind == JsonValueKind.Object;
    }

    public static bool TryArray(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out value) && value.ValueKind == JsonValueKind.Array;
    }

    /// <summary>The JSON document in <paramref name="json"/>, or null when it is not JSON.</summary>
    public static JsonDocument? Parse(ReadOnlyMemory<byte> json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
