using Governance.Projections;
using Governance.Domain;
using JasperFx;
using JasperFx.Events;
using Marten.Exceptions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Governance.Api.Infrastructure;

/// <summary>
/// Turns refusals that surface as exceptions into problem details: broken domain rules (409/422),
/// concurrent writers losing the optimistic-concurrency race (409), malformed requests (400).
/// Anything else stays a 500: that is our bug, not the caller's.
/// </summary>
internal sealed class ExceptionMapping(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            DomainException e => WithField(Problems.Create(
                e.Kind switch { DomainErrorKind.Conflict => 409, DomainErrorKind.Forbidden => 403, _ => 422 },
                "The request conflicts with a business rule.", e.Message, e.Code), e.Field, e.Message),
            ConcurrencyException or EventStreamUnexpectedMaxEventIdException => Problems.Create(409, "Concurrent modification.", "Another request changed this resource at the same time; reload and retry.", "concurrency_conflict"),
            _ when exception.IsStreamCollision() => Problems.Create(409, "Already exists.", "A resource with this identity already exists.", "already_exists"),
            BadHttpRequestException e => Problems.Create(e.StatusCode, "Bad request.", e.Message, "bad_request"),
            _ => null,
        };
        if (problem is null)
            return false;

        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>A rule about one field names it, as validation problems do (<c>errors: {field: [message]}</c>).</summary>
    private static ProblemDetails WithField(ProblemDetails problem, string? field, string message)
    {
        if (field is not null)
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [message] };
        return problem;
    }
}
