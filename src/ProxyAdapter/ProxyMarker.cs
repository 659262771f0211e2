namespace ProxyAdapter;

/// <summary>Names this assembly for hosting and tests (the top-level Program class is not addressable).</summary>
public sealed class ProxyMarker;
