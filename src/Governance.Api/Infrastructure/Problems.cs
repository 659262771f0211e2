using Microsoft.AspNetCore.Mvc;

namespace Governance.Api.Infrastructure;

/// <summary>RFC 7807 answers, one shape for every client error.</summary>
public static class Problems
{
    public static IResult Validation(IDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, title: "The request is invalid.", type: "https://tools.ietf.org/html/rfc9110#section-15.5.1");

    public static IResult Field(string field, string message) => Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemDetails Create(int status, string title, string? detail = null, string? code = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (code is not null)
            problem.Extensions["code"] = code;
        return problem;
    }

    public static IResult NotFound(string what) => Results.Problem(Create(404, "Not found.", $"{what} does not exist.", "not_found"));

    /// <summary>The token's roles reach the endpoint, but not this resource (another app's, say).</summary>
    public static IResult Forbidden(string detail) => Results.Problem(Create(403, "Forbidden.", detail, "forbidden"));
}
