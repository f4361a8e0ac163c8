-- Argo CD health check for networking.vendorallowlist.io/Vendor.
-- A change held for an admin's approval (Stalled) is Degraded: the allowlists using
-- the Vendor keep their policies until it is approved. A generation the operator has
-- not compared yet is Progressing; an accepted one is Healthy.
local hs = {status = "Progressing", message = "Waiting for the operator to compare this Vendor"}
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= generation then
  hs.message = "Waiting for the operator to compare generation " .. tostring(generation)
  return hs
end
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Stalled" and c.status == "True" then
      return {status = "Degraded", message = c.reason .. ": " .. c.message}
    end
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Accepted" and c.status == "True" and obj.status.acceptedGeneration == generation then
      return {status = "Healthy", message = c.message}
    end
  end
end
return hs
