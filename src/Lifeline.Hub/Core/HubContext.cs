using Lifeline.Hub.Monitoring;

namespace Lifeline.Hub.Core;

/// <summary>What every hub connection needs of the hub: its options, its metrics and its clock. Immutable.</summary>
internal sealed record HubContext(HubOptions Options, HubMetrics Metrics, TimeProvider Time);
