using Governance.Domain.Budgets;
using Wolverine.Attributes;

namespace Governance.Projections.Alerts;

/// <summary>A budget crossed a soft threshold; delivered to webhooks through the durable outbox.</summary>
/// <remarks>Its message name is the one it had before it moved: durable envelopes stored under it must still be handled.</remarks>
[MessageIdentity("Governance.Projections.Usage.BudgetAlert")]
public sealed record BudgetAlert(BudgetThresholdCrossed Crossed);
