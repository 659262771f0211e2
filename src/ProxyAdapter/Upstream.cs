namespace ProxyAdapter;

public static class Upstream
{
    public const string ClientName = "upstream";
}

/// <summary>Which adapter reported an event: the actor on request events it appends.</summary>
public sealed record AdapterIdentity(string Id)
{
    public string Actor => "adapter:" + Id;
}
