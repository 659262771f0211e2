using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Attribution;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Hosting.Secrets;

namespace ProxyAdapter.Pipeline;

/// <summary>
/// Who and what a call is for, as recorded: the end user's id as the app sent it (<see cref="RawUser"/>, sent to the API
/// only on the usage report, which keeps it in its erasable mapping) and its keyed pseudonym (<see cref="User"/>, what
/// events and budgets carry), and the tags, the key's own included.
/// </summary>
public sealed record RequestAttribution(string? RawUser, string? User, IReadOnlyList<string> Tags)
{
    public static readonly RequestAttribution None = new(null, null, []);
}

/// <summary>
/// Part of step 4: the end user from the body (OpenAI's <c>user</c>, Anthropic's <c>metadata.user_id</c>) or the
/// <c>x-governance-user</c> header, the tags from <c>x-governance-tags</c> merged with the key's own, and the key's required
/// tags (docs/attribution.md). The <c>x-governance-*</c> headers are never forwarded: the upstream request is built from
/// scratch and carries only the provider's own headers.
/// </summary>
public sealed class AttributionReader(EndUserPseudonyms pseudonyms)
{
    public InvalidParam? Read(HttpRequest request, JsonObject body, ApiFamily family, string app, Admission admission, out RequestAttribution attribution)
    {
        attribution = RequestAttribution.None;
        if (BodyUser(body, family, out var param, out var fromBody) is { } badBody)
            return badBody;
        var header = request.Headers[AttributionRules.UserHeader];
        string? fromHeader = header.Count switch
        {
            0 => null,
            1 => header[0],
            _ => "",
        };
        if (header.Count > 1)
            return Problem(new(AttributionRules.UserHeader, $"'{AttributionRules.UserHeader}' may be sent once."));
        if (AttributionRules.CheckUser(AttributionRules.UserHeader, fromHeader) is { } badHeader)
            return Problem(badHeader);
        if (fromBody is not null && fromHeader is not null && fromBody != fromHeader)
            return Problem(new(AttributionRules.UserHeader, $"'{AttributionRules.UserHeader}' names another end user than '{param}' in the body."));
        var user = fromBody ?? fromHeader;

        var tagsHeader = request.Headers[AttributionRules.TagsHeader];
        if (tagsHeader.Count > 1)
            return Problem(new(AttributionRules.TagsHeader, $"'{AttributionRules.TagsHeader}' may be sent once (comma-separate the tags)."));
        if (AttributionRules.ParseTagsHeader(tagsHeader.Count == 0 ? null : tagsHeader[0], out var callerTags) is { } badTags)
            return Problem(badTags);
        if (AttributionRules.Merge(AttributionRules.TagsHeader, callerTags, admission.KeyTags, admission.RequiredTags, out var tags) is { } unmerged)
            return Problem(unmerged);

        attribution = new RequestAttribution(user, user is null ? null : pseudonyms.Of(app, user), tags);
        return null;
    }

    private static InvalidParam? BodyUser(JsonObject body, ApiFamily family, out string param, out string? user)
    {
        user = null;
        JsonNode? node;
        if (family == ApiFamily.Anthropic)
        {
            param = "metadata.user_id";
            if (body["metadata"] is not { } metadata)
                return null;
            if (metadata is not JsonObject fields)
                return Problem(new("metadata", "'metadata' must be an object."));
            node = fields["user_id"];
        }
        else
        {
            param = "user";
            node = body["user"];
        }
        if (node is null)
            return null;
        if (node.GetValueKind() != JsonValueKind.String)
            return Problem(new(param, $"'{param}' must be a string."));
        user = node.GetValue<string>();
        return AttributionRules.CheckUser(param, user) is { } bad ? Problem(bad) : null;
    }

    private static InvalidParam Problem(AttributionProblem problem) => new(problem.Field, "invalid_attribution", problem.Message);
}
