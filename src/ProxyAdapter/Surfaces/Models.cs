using Governance.Domain.Catalog;

namespace ProxyAdapter.Surfaces;

/// <summary>
/// GET /v1/models and /v1/models/{id}: the models this key may call now (in scope, priced, routed, granted if restricted),
/// in OpenAI's list shape, listing the models /v1/chat/completions reaches — or, for an Anthropic client (it sends
/// <c>anthropic-version</c>), in Anthropic's, listing the models /v1/messages reaches. Either way natively or translated
/// (<see cref="Surface.Reaches"/>, docs/providers.md).
/// </summary>
public static class Models
{
    public static async Task<IResult> List(HttpContext http, KeyGate gate, IGovernor governor, TimeProvider clock)
    {
        var (surface, models) = await AllowedAsync(http, gate, governor, clock);
        if (models is null)
            return surface;
        return IsAnthropic(http)
            ? Results.Json(new
            {
                data = models.Select(AnthropicModel).ToList(), has_more = false,
                first_id = models.FirstOrDefault()?.Definition.Id, last_id = models.LastOrDefault()?.Definition.Id,
            })
            : Results.Json(new { @object = "list", data = models.Select(OpenAiModel).ToList() });
    }

    public static async Task<IResult> Get(string id, HttpContext http, KeyGate gate, IGovernor governor, TimeProvider clock)
    {
        var (surface, models) = await AllowedAsync(http, gate, governor, clock);
        if (models is null)
            return surface;
        var errors = IsAnthropic(http) ? (ErrorShape)AnthropicErrors.Instance : OpenAiErrors.Instance;
        return models.FirstOrDefault(m => m.Definition.Id == id) is not { } model
            ? errors.Result(404, "model_not_found", $"The model '{id}' does not exist or this key may not use it.")
            : Results.Json(IsAnthropic(http) ? AnthropicModel(model) : OpenAiModel(model));
    }

    private static async Task<(IResult Refusal, IReadOnlyList<CandidateModel>? Models)> AllowedAsync(
        HttpContext http, KeyGate gate, IGovernor governor, TimeProvider clock)
    {
        var anthropic = IsAnthropic(http);
        Surface surface = anthropic ? AnthropicMessagesSurface.Instance : ChatCompletionsSurface.Instance;
        // Throttled, unknown or unusable keys are refused and counted as on every other call.
        var key = await gate.CheckAsync(http, surface);
        if (key.Refusal is { } refused)
            return (refused, null);
        var (standing, models) = await governor.ModelsForAsync(key.PresentedKey!, clock.GetUtcNow(), http.RequestAborted);
        if (!standing.Allowed)
            return (surface.Errors.Denied(standing.Denial!), null);
        // The models this API reaches: its own family's, and those it is translated to (Gemini and Bedrock models through chat).
        return (Results.Empty, models.Where(m => m.Routes.Any(r => surface.Reaches(r.Provider.Kind))).ToList());
    }

    private static bool IsAnthropic(HttpContext http) => http.Request.Headers.ContainsKey("anthropic-version");

    private static object OpenAiModel(CandidateModel m) => new
    {
        id = m.Definition.Id, @object = "model", created = (m.Definition.RegisteredAt ?? DateTimeOffset.UnixEpoch).ToUnixTimeSeconds(), owned_by = m.Definition.Provider,
    };

    private static object AnthropicModel(CandidateModel m) => new
    {
        type = "model", id = m.Definition.Id, display_name = m.Definition.Id, created_at = m.Definition.RegisteredAt ?? DateTimeOffset.UnixEpoch,
    };
}
