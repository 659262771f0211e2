namespace ProxyAdapter.Surfaces;

/// <summary>
/// GET and DELETE /v1/responses/{id} (and its input items): the gateway never lets a response be stored at the provider
/// (<see cref="ResponsesBody"/>), because every application shares the provider account and a stored response would be
/// readable with any key. So there is nothing to read or delete: after the key is checked (a refused key is answered as
/// on every call), a 404 in OpenAI's shape that says why. The id is never looked up or forwarded.
/// </summary>
public static class StoredResponses
{
    public static async Task<IResult> NotKept(HttpContext http, KeyGate gate)
    {
        var key = await gate.CheckAsync(http, ResponsesSurface.Instance);
        return key.Refusal ?? OpenAiErrors.Instance.Result(404, "stored_responses_not_kept",
            "This gateway does not store responses (every application shares the provider account), so there is no stored response to read or delete. Keep the conversation in your application and send it in 'input'.");
    }
}
