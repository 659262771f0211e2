namespace ProxyAdapter.Translation.Azure;

/// <summary>
/// Azure OpenAI takes OpenAI's bodies unchanged; only the address and the credential differ. With an
/// <see cref="ModelTarget.AzureApiVersion"/>: <c>/openai/deployments/{deployment}/{operation}?api-version={version}</c>
/// (the deployment names the model; the body's <c>model</c> is ignored there). Without one, Azure's v1 API:
/// <c>/openai/v1/{operation}</c>, the deployment name in the body's <c>model</c>. The key goes in the <c>api-key</c> header.
/// </summary>
public static class AzureOpenAi
{
    public const string KeyHeader = "api-key";

    /// <summary>The path of <paramref name="operation"/> (<c>chat/completions</c>, <c>embeddings</c>, <c>responses</c>).</summary>
    public static string Path(ModelTarget target, string operation)
    {
        if (target.AzureApiVersion is not { } version)
            return "/openai/v1/" + operation;
        // The Responses API is not per deployment on Azure: it takes the deployment in the body, like v1.
        return operation == "responses"
            ? $"/openai/responses?api-version={Uri.EscapeDataString(version)}"
            : $"/openai/deployments/{Uri.EscapeDataString(target.UpstreamModel)}/{operation}?api-version={Uri.EscapeDataString(version)}";
    }

    /// <summary>The credential header: <c>api-key: {key}</c> (never <c>Authorization</c>, which Azure reads as an Entra token).</summary>
    public static KeyValuePair<string, string> Auth(string apiKey) => new(KeyHeader, apiKey);
}
