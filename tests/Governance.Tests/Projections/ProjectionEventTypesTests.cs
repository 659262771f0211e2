using System.Runtime.CompilerServices;
using Governance.Projections;
using JasperFx.Events;

namespace Governance.Tests.Projections;

/// <summary>
/// Each inline projection lists the events its Evolve reacts to (IncludeType). A type missing from a list would be ignored
/// live and on rebuild alike, so the rebuild-equivalence test could not catch it: this test does, by asking each
/// projection's Evolve about every event type the store maps.
/// </summary>
public sealed class ProjectionEventTypesTests
{
    /// <summary>Every concrete type of the domain: all events are among them (any other type is simply not reacted to).</summary>
    private static readonly Type[] DomainTypes = typeof(Governance.Domain.Keys.KeyIssued).Assembly.GetTypes()
        .Where(t => t is { IsPublic: true, IsClass: true, IsAbstract: false, IsGenericType: false } && !typeof(Exception).IsAssignableFrom(t))
        .ToArray();

    public static TheoryData<string> Projections() => new(SingleStream().Select(p => p.GetType().Name));

    [Theory]
    [MemberData(nameof(Projections))]
    public void a_projection_lists_exactly_the_events_its_evolve_reacts_to(string name)
    {
        var projection = SingleStream().Single(p => p.GetType().Name == name);
        var listed = ((IEnumerable<Type>)projection.GetType().GetProperty("IncludedEventTypes")!.GetValue(projection)!).ToHashSet();
        Assert.NotEmpty(listed);

        var reacting = DomainTypes.Where(type => Reacts(projection, type)).ToHashSet();

        Assert.True(reacting.SetEquals(listed),
            $"{name}: reacts to but does not list: {string.Join(", ", reacting.Except(listed).Select(t => t.Name))}; "
            + $"lists but ignores: {string.Join(", ", listed.Except(reacting).Select(t => t.Name))}");
    }

    /// <summary>
    /// Evolve reacts when it creates a document from nothing, or returns another state than the one it was given (or
    /// fails on the blank sample, which only a branch that reads the event can do).
    /// </summary>
    private static bool Reacts(object projection, Type eventType)
    {
        var documentType = projection.GetType().BaseType!.GetGenericArguments()[0];
        var evolve = projection.GetType().GetMethod("Evolve", [documentType, typeof(string), typeof(IEvent)])!;
        var e = (IEvent)Activator.CreateInstance(typeof(Event<>).MakeGenericType(eventType), RuntimeHelpers.GetUninitializedObject(eventType))!;
        var sample = RuntimeHelpers.GetUninitializedObject(documentType);
        try
        {
            return evolve.Invoke(projection, [null, "id", e]) is not null || !ReferenceEquals(evolve.Invoke(projection, [sample, "id", e]), sample);
        }
        catch (System.Reflection.TargetInvocationException)
        {
            return true;
        }
    }

    private static IEnumerable<object> SingleStream() =>
        typeof(GovernanceStore).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, BaseType.IsGenericType: true }
                && t.BaseType.GetGenericTypeDefinition() == typeof(Marten.Events.Aggregation.SingleStreamProjection<,>))
            .Select(t => Activator.CreateInstance(t)!);
}
