using FluentValidation;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Wolverine.Http;
using Wolverine.Http.CodeGen;

namespace Governance.Api.Infrastructure;

/// <summary>
/// Before an endpoint with a JSON request body runs, checks the body strictly (<see cref="JsonBody.CheckAsync{T}"/>:
/// media type, size, depth, types, required fields) and then runs its registered FluentValidation validator, answering
/// a problem that names each failing field. (WolverineFx.Http.FluentValidation is not available to us, so this is the
/// small equivalent.)
/// </summary>
internal sealed class ValidationPolicy : IHttpPolicy
{
    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains.Where(c => c.HasRequestType))
        {
            // Both run before Wolverine's own body reading, which only ever sees a body that passed the check.
            List<Frame> frames = [.. Call(typeof(JsonBody), nameof(JsonBody.CheckAsync), chain.RequestType!)];
            var validatorType = typeof(IValidator<>).MakeGenericType(chain.RequestType!);
            if (container.RegistrationsFor(validatorType).Any())
                frames.AddRange(Call(typeof(RequestValidation), nameof(RequestValidation.ValidateAsync), chain.RequestType!));
            chain.Middleware.InsertRange(0, frames);
            chain.Metadata.ProducesValidationProblem();
        }
    }

    /// <summary>A call of a generic method returning an <see cref="IResult"/>, ending the request unless it continues.</summary>
    private static Frame[] Call(Type type, string name, Type requestType)
    {
        var call = new MethodCall(type, type.GetMethod(name)!.MakeGenericMethod(requestType));
        return [call, new MaybeEndWithResultFrame(call.ReturnVariable!)];
    }
}

public static class RequestValidation
{
    public static async Task<IResult> ValidateAsync<T>(IValidator<T> validator, T? body, HttpContext context)
    {
        if (body is null)
            return Problems.Validation(new Dictionary<string, string[]> { ["body"] = ["A JSON request body is required."] });

        var result = await validator.ValidateAsync(body, context.RequestAborted);
        if (result.IsValid)
            return WolverineContinue.Result();

        var errors = result.Errors
            .GroupBy(e => JsonFieldName(e.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray());
        return Problems.Validation(errors);
    }

    /// <summary>"Models[0]" → "models[0]": report fields as they are spelled in the JSON body.</summary>
    internal static string JsonFieldName(string propertyPath) =>
        string.Join('.', propertyPath.Split('.').Select(p => p.Length == 0 ? p : char.ToLowerInvariant(p[0]) + p[1..]));
}
