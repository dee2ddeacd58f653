@client
Feature: Line changes report to the CarrierService listener
  Suspending or restoring a line is asynchronous too: ThingSpace answers a
  requestId, then sends each device's outcome to the account's
  CarrierService listener, a registration of its own beside
  DeviceProfileService. The callback has the envelope of the profile
  actions' around the line's state (deviceResponse.suspendResponse,
  restoreResponse), and the same warnings, retries and fault form. A
  suspended line refuses profile actions. (A client declares this
  capability in hello: "carrier".)

  Background:
    Given the simulator is reset
    And the client's listener is registered as the CarrierService listener of account "1223334444-00001"

  @carrier
  Scenario: Suspend a line, then restore it
    When the client suspends the line of device "666456789123456789123456784008"
    Then the request is accepted
    And the client's final result for device "666456789123456789123456784008" is "Success" with line state "Suspend"
    And device "666456789123456789123456784008" has service state "Suspend"
    When the client restores the line of device "666456789123456789123456784008"
    Then the request is accepted
    And the client's final result for device "666456789123456789123456784008" is "Success" with line state "Active"
    And device "666456789123456789123456784008" has service state "Active"

  @carrier
  Scenario: A suspend whose device is unreachable warns first
    Given device "666456789123456789123456784008" runs the "warning-then-success" scenario
    When the client suspends the line of device "666456789123456789123456784008"
    Then the client has received only a warning for device "666456789123456789123456784008"
    And device "666456789123456789123456784008" has service state "Active"
    When 10 minutes pass
    Then the client's final result for device "666456789123456789123456784008" is "Success" with line state "Suspend"
    And the client received 2 callbacks for device "666456789123456789123456784008"

  @carrier
  Scenario: A suspend ThingSpace fails in its fault form is a final failure
    Given device "666456789123456789123456784008" runs the "fault-response" scenario
    When the client suspends the line of device "666456789123456789123456784008"
    Then the client's final result for device "666456789123456789123456784008" is "Failed" with code "UnifiedWebService.REQUEST_FAILED.UnexpectedError"
    And device "666456789123456789123456784008" has service state "Active"

  @carrier
  Scenario: A suspended line refuses a profile action, and a restore of an active line is refused
    When the client restores the line of device "666456789123456789123456784008"
    Then the request is refused with status 400 and error "UnifiedWebService.INPUT_INVALID.DeviceState.Invalid"
    When the client deletes profile "89148000000840784267" from device "666456789123456789123456784015"
    Then the request is refused with status 400 and error "UnifiedWebService.INPUT_INVALID.DeviceState.Invalid"
    When the client restores the line of device "666456789123456789123456784015"
    Then the request is accepted
    And the client's final result for device "666456789123456789123456784015" is "Success" with line state "Active"
