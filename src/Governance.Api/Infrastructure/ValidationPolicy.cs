using FluentValidation;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Wolverine.Http;
using Wolverine.Http.CodeGen;

namespace Governance.Api.Infrastructure;

/// <summary>
/// Runs the registered FluentValidation validator of an endpoint's request body before the endpoint,
/// answering 400 problem+json that names each failing field. (WolverineFx.Http.FluentValidation is not
/// available to us, so this is the small equivalent.)
/// </summary>
internal sealed class ValidationPolicy : IHttpPolicy
{
    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains.Where(c => c.HasRequestType))
        {
            var validatorType = typeof(IValidator<>).MakeGenericType(chain.RequestType!);
            if (!container.RegistrationsFor(validatorType).Any())
                continue;

            var method = typeof(RequestValidation).GetMethod(nameof(RequestValidation.ValidateAsync))!
                .MakeGenericMethod(chain.RequestType!);
            var call = new MethodCall(typeof(RequestValidation), method);
            chain.Middleware.InsertRange(0, [call, new MaybeEndWithResultFrame(call.ReturnVariable!)]);
            chain.Metadata.ProducesValidationProblem();
        }
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
