-- Argo CD health check for networking.vendorallowlist.io/VendorAllowlist.
-- Stalled (only a person can fix it: an unknown vendor, a policy in the way, a tenant
-- limit) is Degraded; Reconciling, or a generation the operator has not observed yet,
-- is Progressing; Ready is Healthy.
local hs = {status = "Progressing", message = "Waiting for the operator to report on this VendorAllowlist"}
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= generation then
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end
local ready = nil
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Stalled" and c.status == "True" then
      return {status = "Degraded", message = c.reason .. ": " .. c.message}
    end
    if c.type == "Reconciling" and c.status == "True" then
      hs.message = c.reason .. ": " .. c.message
      return hs
    end
    if c.type == "Ready" then
      ready = c
    end
  end
end
if ready ~= nil and ready.status == "True" and ready.observedGeneration == generation then
  return {status = "Healthy", message = ready.message}
end
if ready ~= nil then
  hs.message = ready.reason .. ": " .. ready.message
end
return hs
