@client
Feature: A request's status, asked of ThingSpace
  Besides the callbacks, a client may ask how a request stands: GET
  /api/m2m/v1/accounts/{account}/requests/{requestId}/status answers
  Pending until the device's final result, then Success or Failure. The
  status changes when the final callback goes out, on ThingSpace's clock,
  so it agrees with what the listener takes. (A client declares this
  capability in hello: "status".)

  Background:
    Given the simulator is reset
    And the client's listener is registered for account "1223334444-00001"

  @status
  Scenario: Pending through a warning, then Success with the final callback
    Given device "666456789123456789123456784008" runs the "warning-then-success" scenario
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the client reports the status of the request as "Pending"
    And the client has received only a warning for device "666456789123456789123456784008"
    When 9 minutes pass
    Then the client reports the status of the request as "Pending"
    When 1 minutes pass
    Then the client reports the status of the request as "Success"
    And the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"

  @status
  Scenario: Pending while the device is unreachable, then Failure
    Given device "666456789123456789123456784008" runs the "unreachable-then-failure" scenario
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the client reports the status of the request as "Pending"
    When 30 minutes pass
    Then the client reports the status of the request as "Failure"
    And the client's final result for device "666456789123456789123456784008" is "Failed" with euicc status "EXPIRED"

  @status
  Scenario: A request that failed at once is a Failure at once
    When the client deletes profile "11245055053268336886" from device "666456789123456789123456784008"
    Then the client reports the status of the request as "Failure"
    And the client's final result for device "666456789123456789123456784008" is "Failed" with code "8.2.3/3.8"

  @status
  Scenario: The status of a request ThingSpace does not know is refused
    When the client asks the status of request "5b7f6a36-0c1d-4c3e-9d7e-2f1a0b9c8d7e"
    Then the request is refused with status 400 and error "UnifiedWebService.REQUEST_FAILED.Request.NotFound"
